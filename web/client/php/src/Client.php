<?php

declare(strict_types=1);

namespace Scopestore;

/**
 * Client makes the HTTP calls of scopestore's runtime API for one app: its sessions (for SessionHandler), its
 * application scope, the server scope and its named locks.
 *
 *     $client = new Scopestore\Client('http://127.0.0.1:8080', 'shop', getenv('SCOPESTORE_KEY'));
 *     $r = $client->application();                       // a Response: $r->ok(), $r->version, $r->data()
 *
 * One curl handle serves all the calls of a PHP request, so that a read and the write that follows share a
 * connection. Nothing here retries: a session handler that waited for a storage to come back would hold
 * the user's request for as long, so a failure is handed back at once as a Response with its reason.
 */
final class Client
{
    /** JSON flags: 1.0 stays a float, '/' and non-ASCII text stay readable in the console. */
    public const JSON_FLAGS = JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
        | JSON_THROW_ON_ERROR;

    private ?\CurlHandle $curl = null;
    private string $api;
    private string $app;
    private string $sessions;

    /**
     * @param string $url the server's base URL, e.g. http://127.0.0.1:8080
     * @param string $app the app's name
     * @param string $key the app's API key
     * @param float $timeout seconds one call may take in all
     * @param float $connectTimeout seconds to connect
     * @throws \InvalidArgumentException on a URL, app name or key that cannot work
     */
    public function __construct(
        string $url,
        string $app,
        #[\SensitiveParameter] private readonly string $key,
        private readonly float $timeout = 5.0,
        private readonly float $connectTimeout = 2.0,
    ) {
        self::check($url, $app, $key);
        $this->api = rtrim($url, '/') . '/api/v1';
        $this->app = $this->api . '/apps/' . rawurlencode($app);
        $this->sessions = $this->app . '/sessions/';
    }

    /**
     * Refuses a URL, app name or API key that cannot work: mistakes in the code or its configuration.
     *
     * @throws \InvalidArgumentException
     */
    public static function check(string $url, string $app, #[\SensitiveParameter] string $key): void
    {
        $scheme = parse_url($url, PHP_URL_SCHEME);
        if (
            !in_array($scheme, ['http', 'https'], true) || parse_url($url, PHP_URL_HOST) === null
            || parse_url($url, PHP_URL_QUERY) !== null || parse_url($url, PHP_URL_FRAGMENT) !== null
        ) {
            throw new \InvalidArgumentException(sprintf(
                'scopestore URL %s: use http(s)://host:port, e.g. http://127.0.0.1:8080',
                var_export($url, true),
            ));
        }
        if (preg_match('/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/', $app) !== 1) {
            throw new \InvalidArgumentException(sprintf(
                "app name %s: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
                var_export($app, true),
            ));
        }
        if (preg_match('/^[\x21-\x7e]+$/', $key) !== 1) {
            throw new \InvalidArgumentException($key === ''
                ? 'the API key is empty: pass the key `scopestore app create` printed (is SCOPESTORE_KEY set?)'
                : 'the API key holds spaces or characters outside ASCII: pass the key `scopestore app create` printed');
        }
    }

    /** Closes the connection. */
    public function __destruct()
    {
        if ($this->curl !== null) {
            curl_close($this->curl);
        }
    }

    /** Loads a session: a visit, which extends its expiry. */
    public function get(string $cfid): Response
    {
        return $this->request('GET', $this->sessions . $cfid, null);
    }

    /**
     * Creates a session with the cfid chosen here; 412 when a live session already has it.
     *
     * @param array<mixed> $data
     */
    public function create(string $cfid, array $data): Response
    {
        return $this->request('PUT', $this->sessions . $cfid, self::dataBody($data), ['If-None-Match: *']);
    }

    /**
     * Replaces a session's data; with $ifVersion, only if the session is still at that version, and with
     * $ifFence (a lock's fence), only if it was not written under a greater fence (else 412).
     *
     * @param array<mixed> $data
     */
    public function put(string $cfid, array $data, ?int $ifVersion = null, ?int $ifFence = null): Response
    {
        $conditions = self::conditions($ifVersion, $ifFence);
        return $this->request('PUT', $this->sessions . $cfid, self::dataBody($data), $conditions);
    }

    /**
     * Sets, removes and increments keys of a session's data in one atomic change; $ifVersion and $ifFence as
     * for put (else 412).
     *
     * @param array<mixed> $set
     * @param list<string|int> $unset
     * @param array<string, int> $incr keys to add to (absent counts as 0)
     */
    public function patch(
        string $cfid,
        array $set,
        array $unset,
        ?int $ifVersion = null,
        array $incr = [],
        ?int $ifFence = null,
    ): Response {
        return $this->request('PATCH', $this->sessions . $cfid, self::patchBody($set, $unset, $incr),
            self::conditions($ifVersion, $ifFence));
    }

    /** Ends a session; 404 when there was none. */
    public function delete(string $cfid): Response
    {
        return $this->request('DELETE', $this->sessions . $cfid, null);
    }

    /** Extends a session's expiry without reading it. */
    public function touch(string $cfid): Response
    {
        return $this->request('POST', $this->sessions . $cfid . '/touch', null);
    }

    /**
     * Moves a session to a new cfid with the same data: 201 with the new session (version 1) and its Location;
     * $to chooses the new cfid, null lets scopestore pick one. For the server's --rotate-grace (10 s) the old
     * cfid still answers GET, read-only, with "rotatedTo" naming the new one, and refuses changes with 409
     * rotated (Response::rotatedTo); 404 when there is no such session.
     */
    public function rotate(string $cfid, ?string $to = null): Response
    {
        $body = $to === null ? null : json_encode(['cfid' => $to], self::JSON_FLAGS);
        return $this->request('POST', $this->sessions . $cfid . '/rotate', $body);
    }

    /** Loads the app's application scope (a visit), started empty at version 1 when there is none yet. */
    public function application(): Response
    {
        return $this->request('GET', $this->app . '/application', null);
    }

    /**
     * Replaces the application scope's data; with $ifVersion, only if it is still at that version, and with
     * $ifFence (a lock's fence), only if it was not written under a greater fence (else 412).
     *
     * @param array<mixed> $data
     */
    public function saveApplication(array $data, ?int $ifVersion = null, ?int $ifFence = null): Response
    {
        return $this->request('PUT', $this->app . '/application', self::dataBody($data),
            self::conditions($ifVersion, $ifFence));
    }

    /**
     * Sets, removes and increments keys of the application scope in one atomic change; $ifVersion and
     * $ifFence as for saveApplication.
     *
     * @param array<mixed> $set
     * @param list<string|int> $unset
     * @param array<string, int> $incr
     */
    public function patchApplication(
        array $set = [],
        array $unset = [],
        array $incr = [],
        ?int $ifVersion = null,
        ?int $ifFence = null,
    ): Response {
        return $this->request('PATCH', $this->app . '/application', self::patchBody($set, $unset, $incr),
            self::conditions($ifVersion, $ifFence));
    }

    /** Loads the server scope, which every app reads; started empty at version 1 when there is none yet. */
    public function server(): Response
    {
        return $this->request('GET', $this->api . '/server', null);
    }

    /**
     * Replaces the server scope's data: 403 unless an administrator allowed this app to write it
     * (`scopestore app settings APP --server-scope-write true`); $ifVersion and $ifFence as for saveApplication.
     *
     * @param array<mixed> $data
     */
    public function saveServer(array $data, ?int $ifVersion = null, ?int $ifFence = null): Response
    {
        $conditions = self::conditions($ifVersion, $ifFence);
        return $this->request('PUT', $this->api . '/server', self::dataBody($data), $conditions);
    }

    /**
     * Sets, removes and increments keys of the server scope in one atomic change; 403 as for saveServer.
     *
     * @param array<mixed> $set
     * @param list<string|int> $unset
     * @param array<string, int> $incr
     */
    public function patchServer(
        array $set = [],
        array $unset = [],
        array $incr = [],
        ?int $ifVersion = null,
        ?int $ifFence = null,
    ): Response {
        return $this->request('PATCH', $this->api . '/server', self::patchBody($set, $unset, $incr),
            self::conditions($ifVersion, $ifFence));
    }

    /**
     * Takes the app's named lock, waiting up to $timeout seconds while others hold it (null: the server's 5 s,
     * 0: one try): 201 with {"name","type","token","fence","expires"}, or 423 (code locked) when it stayed held.
     * It is held for $lease seconds (null: the server's 30 s) unless renewed or released.
     *
     * @param string $type 'exclusive' or 'readonly'
     */
    public function lock(
        string $name,
        string $type = 'exclusive',
        ?float $timeout = null,
        ?float $lease = null,
    ): Response {
        $body = ['type' => $type];
        if ($timeout !== null) {
            $body['timeout'] = self::duration($timeout);
        }
        if ($lease !== null) {
            $body['lease'] = self::duration($lease);
        }
        return $this->request('POST', $this->lockUrl($name), json_encode($body, self::JSON_FLAGS));
    }

    /** Extends a lock's lease to $lease seconds from now (null: 30 s): 200, or 409 once the lease ended. */
    public function renewLock(string $name, string $token, ?float $lease = null): Response
    {
        $body = $lease === null ? null : json_encode(['lease' => self::duration($lease)], self::JSON_FLAGS);
        return $this->request('POST', $this->lockUrl($name) . '/renew', $body, ['Lock-Token: ' . $token]);
    }

    /** Releases a lock: 204, or 409 when its lease had ended (another holder may have written meanwhile). */
    public function unlock(string $name, string $token): Response
    {
        return $this->request('DELETE', $this->lockUrl($name), null, ['Lock-Token: ' . $token]);
    }

    /**
     * Encodes an array as a JSON object, also when its keys are 0, 1, … (which json_encode makes a list).
     *
     * @param array<mixed> $a
     * @throws \JsonException when a value cannot be JSON (invalid UTF-8, INF, NAN)
     */
    public static function encodeObject(array $a): string
    {
        $members = [];
        foreach ($a as $k => $v) {
            $members[] = json_encode((string) $k, self::JSON_FLAGS) . ':' . json_encode($v, self::JSON_FLAGS);
        }
        return '{' . implode(',', $members) . '}';
    }

    /** @param array<mixed> $data */
    private static function dataBody(array $data): string
    {
        return '{"data":' . self::encodeObject($data) . '}';
    }

    /**
     * @param array<mixed> $set
     * @param list<string|int> $unset
     * @param array<string, int> $incr
     */
    private static function patchBody(array $set, array $unset, array $incr): string
    {
        $parts = [];
        if ($set !== []) {
            $parts[] = '"set":' . self::encodeObject($set);
        }
        if ($unset !== []) {
            $parts[] = '"unset":' . json_encode(array_map('strval', array_values($unset)), self::JSON_FLAGS);
        }
        if ($incr !== []) {
            $parts[] = '"incr":' . self::encodeObject($incr);
        }
        return '{' . implode(',', $parts) . '}';
    }

    /** @return list<string> the If-Match and If-Fence headers of a conditional write */
    private static function conditions(?int $version, ?int $fence): array
    {
        $headers = [];
        if ($version !== null) {
            $headers[] = 'If-Match: "' . $version . '"';
        }
        if ($fence !== null) {
            $headers[] = 'If-Fence: ' . $fence;
        }
        return $headers;
    }

    /**
     * A lock's URL, its name escaped as Go's net/url escapes a path by default: scopestore's router takes a
     * path escaped otherwise as it is (a name sent as x%3Ay would be "x%3Ay", not "x:y").
     *
     * @throws \InvalidArgumentException on an empty name or one with a slash
     */
    private function lockUrl(string $name): string
    {
        if ($name === '' || str_contains($name, '/')) {
            throw new \InvalidArgumentException("lock name '$name': use 1 to 200 characters without a slash");
        }
        $escaped = preg_replace_callback(
            '/[^\x21-\x7e]|[!"#%\'()*<>?\[\\\\\]^`{|}]/',
            static fn(array $m): string => sprintf('%%%02X', ord($m[0])),
            $name,
        );
        return $this->app . '/locks/' . $escaped;
    }

    /** Seconds as the lock API reads a duration: "1500ms". */
    private static function duration(float $seconds): string
    {
        if ($seconds < 0 || !is_finite($seconds)) {
            throw new \InvalidArgumentException("a lock duration is a number of seconds from 0, not $seconds");
        }
        return (int) round($seconds * 1000) . 'ms';
    }

    /** @param list<string> $headers */
    private function request(string $method, string $url, ?string $body, array $headers = []): Response
    {
        if ($this->curl === null) {
            $this->curl = curl_init();
        } else {
            curl_reset($this->curl); // keeps the connection
        }
        $etag = null;
        $retryAfter = null;
        $location = null;
        $options = [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => (int) ($this->timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int) ($this->connectTimeout * 1000),
            CURLOPT_HTTPHEADER => array_merge([
                'Authorization: Bearer ' . $this->key,
                'Accept: application/json',
                'Expect:', // no 100-continue round trip for bodies over 1 KiB
            ], $body === null ? [] : ['Content-Type: application/json'], $headers),
            CURLOPT_HEADERFUNCTION => static function ($curl, string $line) use (
                &$etag,
                &$retryAfter,
                &$location,
            ): int {
                if (preg_match('/^ETag:\s*(?:W\/)?"?(\d+)"?\s*$/i', $line, $m) === 1) {
                    $etag = (int) $m[1];
                } elseif (preg_match('/^Retry-After:\s*(\d+)\s*$/i', $line, $m) === 1) {
                    $retryAfter = (int) $m[1];
                } elseif (preg_match('/^Location:\s*(\S+)\s*$/i', $line, $m) === 1) {
                    $location = $m[1];
                }
                return strlen($line);
            },
        ];
        if ($body !== null) {
            $options[CURLOPT_POSTFIELDS] = $body;
        } elseif ($method === 'POST') {
            $options[CURLOPT_POSTFIELDS] = '';
        }
        curl_setopt_array($this->curl, $options);
        $answer = curl_exec($this->curl);
        if (!is_string($answer)) {
            return new Response(0, null, null, curl_error($this->curl) . ' (' . $method . ' ' . $url . ')');
        }
        $status = (int) curl_getinfo($this->curl, CURLINFO_RESPONSE_CODE);
        // Deeper than json_decode's default of 512: data that other clients stored is read whole.
        $decoded = $answer === '' ? null : json_decode($answer, true, 100_000);
        return new Response($status, $etag, is_array($decoded) ? $decoded : null, '', $retryAfter, $location);
    }
}
