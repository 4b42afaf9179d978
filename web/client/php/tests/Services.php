<?php

declare(strict_types=1);

namespace Scopestore\Tests;

use PHPUnit\Framework\TestCase;

/**
 * Services builds scopestore from this repository and runs it for the tests, with `php -S` servers for the
 * example apps: real processes on loopback ports 18200–18299, in a temporary directory removed at the end.
 */
final class Services
{
    /** Why the tests cannot run (no go, no php-curl, a failed build), or null when scopestore is up. */
    public static ?string $problem = null;

    /** scopestore's base URL. */
    public static string $url = '';

    /** The API key of app "shop" (memory storage). */
    public static string $key = '';

    /** The API key of app "shopdown", whose session storage is a Redis that does not answer: every call is a 503. */
    public static string $downKey = '';

    /**
     * The API key of app "shopfull" (memory storage, maxMemory 4KiB): a session of 2.5 KB fits, its rotation,
     * which copies it to a new cfid, is refused (507 quota_exceeded).
     */
    public static string $fullKey = '';

    /** A loopback port on which nothing listens. */
    public static int $closedPort = 0;

    private static string $dir = '';

    private static string $binary = '';

    /** @var array<string, string> */
    private static array $env = [];

    /** @var list<resource> */
    private static array $processes = [];

    /** @var array<int, true> */
    private static array $usedPorts = [];

    /** Builds and starts scopestore once; records the reason in $problem instead of throwing. */
    public static function start(): void
    {
        try {
            self::startScopestore();
        } catch (\Throwable $e) {
            self::$problem = $e->getMessage();
        }
    }

    /** Skips the test when scopestore is not up, or fails it when SCOPESTORE_TEST_REQUIRE_SERVICES=1. */
    public static function need(TestCase $test): void
    {
        if (self::$problem === null) {
            return;
        }
        if (getenv('SCOPESTORE_TEST_REQUIRE_SERVICES') === '1') {
            TestCase::fail('SCOPESTORE_TEST_REQUIRE_SERVICES=1 but scopestore is not running: ' . self::$problem);
        }
        TestCase::markTestSkipped(self::$problem);
    }

    /**
     * Starts `php -S` on a free port for a directory of scripts and returns its base URL; it stops with the tests.
     *
     * @param array<string, string> $env variables for the scripts (SCOPESTORE_URL, SCOPESTORE_KEY, …)
     * @param array<string, string> $ini php.ini settings, as -d
     * @return array{0: string, 1: resource} the URL and the process, for stop()
     */
    public static function phpServer(string $docroot, array $env, array $ini = []): array
    {
        $port = self::freePort();
        $cmd = [PHP_BINARY, '-d', 'display_errors=stderr', '-d', 'log_errors=0'];
        foreach ($ini as $name => $value) {
            array_push($cmd, '-d', $name . '=' . $value);
        }
        array_push($cmd, '-S', '127.0.0.1:' . $port, '-t', $docroot);
        $log = self::$dir . '/php-' . $port . '.log';
        $process = self::spawn($cmd, $env + self::environment(), $log);
        self::waitForPort($port, $process, $log);
        return ['http://127.0.0.1:' . $port, $process];
    }

    /**
     * Stops a process started here.
     *
     * @param resource $process
     */
    public static function stop($process): void
    {
        if (!is_resource($process)) {
            return;
        }
        $status = proc_get_status($process);
        if ($status['running']) {
            proc_terminate($process, 15);
        }
        for ($i = 0; $i < 100 && proc_get_status($process)['running']; $i++) {
            usleep(50_000);
        }
        if (proc_get_status($process)['running']) {
            proc_terminate($process, 9);
        }
        proc_close($process);
        self::$processes = array_values(array_filter(self::$processes, static fn($p) => $p !== $process));
    }

    /** Stops everything started here and removes the temporary directory. */
    public static function stopAll(): void
    {
        foreach (self::$processes as $p) {
            self::stop($p);
        }
        if (self::$dir !== '' && getenv('SCOPESTORE_TEST_KEEP') !== '1') {
            self::remove(self::$dir);
        }
    }

    /** The log of a process started here, for a failure message. */
    public static function log(string $name): string
    {
        $path = self::$dir . '/' . $name;
        return is_file($path) ? (string) file_get_contents($path) : '';
    }

    /** A loopback port in 18200–18299 that nothing listens on and that these tests have not handed out. */
    public static function freePort(): int
    {
        $start = random_int(18200, 18299);
        for ($i = 0; $i < 100; $i++) {
            $port = 18200 + ($start - 18200 + $i) % 100;
            if (isset(self::$usedPorts[$port])) {
                continue;
            }
            $socket = @stream_socket_server('tcp://127.0.0.1:' . $port);
            if ($socket !== false) {
                fclose($socket);
                self::$usedPorts[$port] = true;
                return $port;
            }
        }
        throw new \RuntimeException('no free loopback port in 18200–18299');
    }

    private static function startScopestore(): void
    {
        if (!extension_loaded('curl')) {
            throw new \RuntimeException('the curl extension is missing (apt-get install php-curl)');
        }
        $root = dirname(__DIR__, 4);
        if (!is_file($root . '/go.mod')) {
            throw new \RuntimeException("no go.mod in $root: the tests build scopestore from the repository");
        }
        $dir = sys_get_temp_dir() . '/scopestore-php-' . bin2hex(random_bytes(4));
        if (!mkdir($dir . '/data', 0o700, true)) {
            throw new \RuntimeException("cannot create $dir");
        }
        self::$dir = $dir;
        register_shutdown_function([self::class, 'stopAll']);

        $binary = (string) getenv('SCOPESTORE_TEST_BINARY');
        if ($binary === '') {
            $go = self::findGo();
            $binary = $dir . '/scopestore';
            [$code, , $err] = self::run([$go, 'build', '-o', $binary, './cmd/scopestore'], $root);
            if ($code !== 0) {
                throw new \RuntimeException("go build ./cmd/scopestore failed (exit $code): " . trim($err));
            }
        }

        $env = ['SCOPESTORE_DATA_DIR' => $dir . '/data'] + self::environment();
        self::$binary = $binary;
        self::$env = $env;
        self::$key = self::cli($binary, $env, ['app', 'create', 'shop']);
        self::$closedPort = self::freePort();
        self::cli($binary, $env, ['connection', 'create', '--no-verify', '--name', 'down', '--type', 'redis', '--storage',
            '--host', '127.0.0.1', '--port', (string) self::$closedPort]);
        self::$downKey = self::cli($binary, $env, ['app', 'create', 'shopdown']);
        // --force: the storage is down on purpose, which the CLI refuses otherwise.
        self::cli($binary, $env, ['app', 'settings', 'shopdown', '--session-storage', 'down', '--force']);
        self::$fullKey = self::cli($binary, $env, ['app', 'create', 'shopfull']);
        self::cli($binary, $env, ['app', 'settings', 'shopfull', '--max-memory', '4KiB']);

        $port = self::freePort();
        $log = $dir . '/scopestore.log';
        // --cache-ttl 0: settings that admin() changes apply at once.
        $serve = [$binary, 'serve', '--addr', '127.0.0.1:' . $port, '--log-level', 'warn', '--cache-ttl', '0'];
        $process = self::spawn($serve, $env, $log);
        self::waitForPort($port, $process, $log);
        self::$url = 'http://127.0.0.1:' . $port;
    }

    /**
     * Runs a command of scopestore's CLI on the running server's data, as an administrator would, and returns
     * its output (`app create blog` prints the key); the server sees settings changed here within its cache's
     * time to live.
     *
     * @param list<string> $args
     */
    public static function admin(array $args): string
    {
        return self::cli(self::$binary, self::$env, $args);
    }

    private static function findGo(): string
    {
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $p) {
            if ($p !== '' && is_executable($p . '/go')) {
                return $p . '/go';
            }
        }
        if (is_executable('/usr/local/go/bin/go')) {
            return '/usr/local/go/bin/go';
        }
        throw new \RuntimeException('go is not installed (not in PATH nor /usr/local/go/bin): it builds the '
            . 'scopestore the tests run against; or set SCOPESTORE_TEST_BINARY to a built scopestore');
    }

    /**
     * Runs a scopestore command and returns its stdout, trimmed.
     *
     * @param array<string, string> $env
     * @param list<string> $args
     */
    private static function cli(string $binary, array $env, array $args): string
    {
        [$code, $out, $err] = self::run(array_merge([$binary], $args), null, $env);
        if ($code !== 0) {
            throw new \RuntimeException('scopestore ' . implode(' ', $args) . " failed (exit $code): " . trim($err));
        }
        return trim($out);
    }

    /**
     * Runs a command to its end.
     *
     * @param list<string> $cmd
     * @param array<string, string>|null $env
     * @return array{0: int, 1: string, 2: string} exit code, stdout, stderr
     */
    private static function run(array $cmd, ?string $cwd, ?array $env = null): array
    {
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, $env);
        if ($p === false) {
            throw new \RuntimeException('cannot run ' . $cmd[0]);
        }
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($p), $out, $err];
    }

    /**
     * Starts a long-running process with its output in a log file.
     *
     * @param list<string> $cmd
     * @param array<string, string> $env
     * @return resource
     */
    private static function spawn(array $cmd, array $env, string $log)
    {
        $io = [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']];
        $p = proc_open($cmd, $io, $pipes, null, $env);
        if ($p === false) {
            throw new \RuntimeException('cannot start ' . $cmd[0]);
        }
        self::$processes[] = $p;
        return $p;
    }

    /** @param resource $process */
    private static function waitForPort(int $port, $process, string $log): void
    {
        $deadline = microtime(true) + 20;
        while (microtime(true) < $deadline) {
            $s = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2);
            if ($s !== false) {
                fclose($s);
                return;
            }
            if (!proc_get_status($process)['running']) {
                throw new \RuntimeException("the process for port $port exited: " . self::tail($log));
            }
            usleep(50_000);
        }
        throw new \RuntimeException("nothing listened on port $port after 20s: " . self::tail($log));
    }

    private static function tail(string $log): string
    {
        return trim(substr((string) @file_get_contents($log), -2000));
    }

    /** @return array<string, string> this process's environment, for children */
    private static function environment(): array
    {
        return array_filter(getenv(), 'is_string');
    }

    private static function remove(string $path): void
    {
        if (is_dir($path) && !is_link($path)) {
            foreach (scandir($path) ?: [] as $entry) {
                if ($entry !== '.' && $entry !== '..') {
                    self::remove($path . '/' . $entry);
                }
            }
            @rmdir($path);
        } else {
            @unlink($path);
        }
    }
}
