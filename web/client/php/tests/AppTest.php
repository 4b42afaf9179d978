<?php

declare(strict_types=1);

namespace Scopestore\Tests;

use PHPUnit\Framework\TestCase;
use Scopestore\Client;
use Scopestore\SessionHandler;

/**
 * Real PHP sessions: session_start() in apps served by two `php -S` servers that share scopestore, with the
 * session cookie going back and forth between them as behind a load balancer.
 */
final class AppTest extends TestCase
{
    private const EXAMPLE = __DIR__ . '/../example';
    private const APP = __DIR__ . '/app';
    private const UUID_V4 = '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/';

    /** @var list<resource> */
    private array $servers = [];

    /** Where the test app's requests meet (tests/app/index.php: before, wait, started, written). */
    private string $syncDir = '';

    protected function setUp(): void
    {
        Services::need($this);
    }

    protected function tearDown(): void
    {
        foreach ($this->servers as $s) {
            Services::stop($s);
        }
        $this->servers = [];
        if ($this->syncDir !== '') {
            array_map('unlink', glob($this->syncDir . '/*') ?: []);
            rmdir($this->syncDir);
            $this->syncDir = '';
        }
    }

    /** @return array<string, array{string}> */
    public static function serializeHandlers(): array
    {
        return ['php (one string)' => ['php'], 'php_serialize (by keys)' => ['php_serialize']];
    }

    /** @dataProvider serializeHandlers */
    public function testTheExampleCountsAcrossTwoServers(string $serializeHandler): void
    {
        [$a, $b] = $this->servePair(self::EXAMPLE, ['session.serialize_handler' => $serializeHandler]);
        $browser = new Browser();
        $requests = 10;
        $last = null;
        for ($i = 1; $i <= $requests; $i++) {
            $last = $browser->get(($i % 2 === 1 ? $a : $b) . '/');
            $this->assertSame(200, $last['status'], $last['body']);
            $this->assertSame((string) $i, trim($last['body']), "request $i went to " . ($i % 2 === 1 ? $a : $b));
        }
        $this->assertSame((string) $requests, trim($last['body'] ?? ''));
        $this->assertMatchesRegularExpression(self::UUID_V4, $browser->sessionId);

        $data = (new Client(Services::$url, 'shop', Services::$key, 5, 2))->get($browser->sessionId)->data();
        $want = $serializeHandler === 'php_serialize' ? ['counter' => 10] : ['php' => 'counter|i:10;'];
        $this->assertSame($want, $data);
    }

    public function testTheExampleAnswers503WhenTheStorageIsDown(): void
    {
        $env = ['SCOPESTORE_APP' => 'shopdown', 'SCOPESTORE_KEY' => Services::$downKey];
        [$url] = $this->servePair(self::EXAMPLE, [], $env);
        $browser = new Browser();
        $browser->sessionId = '0f8fad5b-d9cb-469f-a165-70867728950e';
        $answer = $browser->get($url . '/');
        $this->assertSame(503, $answer['status'], $answer['body']);
        $this->assertSame('0f8fad5b-d9cb-469f-a165-70867728950e', $browser->sessionId, 'no new session in its place');
    }

    public function testAnIdThatIsNotAUuidIsReplaced(): void
    {
        [$url] = $this->servePair(self::EXAMPLE, []);
        $browser = new Browser();
        $browser->sessionId = 'abcdef0123456789abcdef0123';
        $answer = $browser->get($url . '/');
        $this->assertSame(200, $answer['status'], $answer['body']);
        $this->assertSame('1', trim($answer['body']));
        $this->assertMatchesRegularExpression('/^[0-9a-f-]{36}$/', $browser->sessionId);
    }

    public function testAnUnknownUuidIsReplaced(): void
    {
        [$url] = $this->servePair(self::EXAMPLE, []);
        $browser = new Browser();
        $browser->sessionId = '0f8fad5b-d9cb-469f-a165-70867728950e';
        $answer = $browser->get($url . '/');
        $this->assertSame('1', trim($answer['body']));
        $this->assertNotSame(
            '0f8fad5b-d9cb-469f-a165-70867728950e',
            $browser->sessionId,
            'strict mode: a session id chosen by a client is not created',
        );
    }

    /** @return array<string, array{string, bool}> */
    public static function regenerateCases(): array
    {
        return [
            'php (one string)' => ['php', false],
            'php_serialize (by keys)' => ['php_serialize', false],
            'php_serialize with the lock option' => ['php_serialize', true],
        ];
    }

    /** @dataProvider regenerateCases */
    public function testRegenerateIdRotatesTheSession(string $serializeHandler, bool $lock): void
    {
        [$a, $b] = $this->servePair(
            self::APP,
            ['session.serialize_handler' => $serializeHandler],
            $lock ? ['SCOPESTORE_LOCK' => '1'] : [],
        );
        $browser = new Browser();
        $first = $this->json($browser->get($a . '/?do=count'));
        $old = $browser->sessionId;
        $this->assertSame($old, $first['id']);
        $second = $this->json($browser->get($b . '/?do=regenerate'));
        $new = $browser->sessionId;
        $this->assertNotSame($old, $new);
        $this->assertSame($new, $second['id']);
        $this->assertSame(2, $second['session']['n']);
        $this->assertTrue($second['written']);

        // The old cfid is not deleted but rotated: for the grace it answers, read-only, naming the new one.
        $was = $this->api()->get($old);
        $this->assertSame(200, $was->status, 'session_regenerate_id(true) rotates the old cfid, it does not delete it');
        $this->assertSame($new, $was->body['rotatedTo'] ?? null);
        $stored = $serializeHandler === 'php_serialize' ? ['n' => 1] : ['php' => 'n|i:1;'];
        $data = $was->data();
        if ($lock) {
            // Copied as it was at the rotation, under the lock of the request that rotated it; read-only, so
            // no request waits for it: they follow rotatedTo.
            $this->assertArrayHasKey(SessionHandler::LOCK_KEY, $data);
            unset($data[SessionHandler::LOCK_KEY]);
        }
        $this->assertSame($stored, $data, 'the old cfid keeps the data as it was');
        $this->assertSame(
            $serializeHandler === 'php_serialize' ? ['n' => 2] : ['php' => 'n|i:2;'],
            $this->api()->get($new)->data(),
            'the final write lands on the new cfid (and no lock is left there)',
        );
        $this->assertSame(3, $this->json($browser->get($a . '/?do=count'))['session']['n']);
    }

    /** @return array<string, array{string, bool}> */
    public static function followCases(): array
    {
        return [
            'strict mode, php (one string)' => ['php', true],
            'strict mode, php_serialize (by keys)' => ['php_serialize', true],
            'without strict mode' => ['php_serialize', false],
        ];
    }

    /** @dataProvider followCases */
    public function testARequestWithTheOldCookieAfterARegenerateReadsTheSessionReadOnly(
        string $handler,
        bool $strict
    ): void {
        $ini = ['session.serialize_handler' => $handler, 'session.use_strict_mode' => $strict ? '1' : '0'];
        [$a, $b] = $this->servePair(self::APP, $ini, $strict ? [] : ['SCOPESTORE_STRICT' => '0']);
        $browser = new Browser();
        $this->json($browser->get($a . '/?do=count'));
        $old = $browser->sessionId;
        // A request with the old cookie after the login: another tab's, or that of an attacker who planted the
        // cookie before the login (session fixation).
        $late = new Browser();
        $late->sessionId = $old;
        $this->json($browser->get($b . '/?do=regenerate'));
        $new = $browser->sessionId;
        $this->assertNotSame($old, $new);

        $answer = $this->json($late->get($a . '/?do=count'));
        $this->assertSame(3, $answer['session']['n'], "the session's data at its new cfid (n = 2), not an empty one");
        $this->assertSame($old, $late->sessionId, 'no cookie for the new cfid: only the request that rotated sends it');
        $this->assertSame($old, $answer['id'], 'session_id() is the old cfid');
        $this->assertTrue($answer['written'], 'not a failed write');
        $this->assertStringContainsString('is read-only: its changes are not saved', $answer['error']);
        $this->assertSame(2, $this->counter($new), 'nothing written to the new cfid');
        $this->assertSame(1, $this->counter($old), 'nor to the old one');
        $this->assertSame(3, $this->json($browser->get($b . '/?do=count'))['session']['n'], 'the login goes on');
    }

    public function testAChangeInFlightDuringARegenerateLandsOnTheNewCfid(): void
    {
        [$a, $b] = $this->servePair(self::APP, ['session.serialize_handler' => 'php_serialize']);
        $browser = new Browser();
        $this->json($browser->get($a . '/?do=count'));
        $old = $browser->sessionId;
        $inFlight = new Browser();
        $inFlight->sessionId = $old;
        // The request in flight reads the session; then the other one starts, rotates the session and writes
        // it; then the first one writes: in that order, by meeting at files, however slow the machine.
        [$change, $regenerate] = Browser::parallel([
            [$inFlight, $a . '/?do=set&k=late&v=1&started=read&wait=rotated'],
            [$browser, $b . '/?do=regenerate&before=read&written=rotated'],
        ]);
        // json() fails on PHP's "Failed to write session data" warning in the answer (session_write_close()
        // returns true all the same); the stored data below is the proof.
        $answer = $this->json($change);
        $this->assertTrue($answer['written']);
        $this->assertSame('', $answer['error']);
        $this->assertSame(2, $this->json($regenerate)['session']['n']);
        $new = $browser->sessionId;
        $this->assertNotSame($old, $new);
        $this->assertSame($old, $inFlight->sessionId, 'no cookie for the new cfid: the request that rotated sent it');
        $session = $this->api()->get($new)->data();
        ksort($session);
        $this->assertSame(['late' => '1', 'n' => 2], $session, 'both on the new cfid: the 409 rotated was sent on');
        $this->assertSame(['n' => 1], $this->api()->get($old)->data(), 'nothing written to the old cfid');
    }

    public function testARequestAfterARotationByAnotherClientReadsTheSessionReadOnly(): void
    {
        [$a, $b] = $this->servePair(self::APP, ['session.serialize_handler' => 'php_serialize']);
        $browser = new Browser();
        $this->json($browser->get($a . '/?do=count'));
        $old = $browser->sessionId;
        // As the Go client rotates at login: POST …/rotate, and its answer sends the visitor the new cookie.
        $rotated = $this->api()->rotate($old);
        $this->assertSame(201, $rotated->status, $rotated->describe());
        $new = $rotated->body['cfid'];
        $answer = $this->json($browser->get($b . '/?do=count'));
        $this->assertSame(2, $answer['session']['n'], 'the data of the new cfid');
        $this->assertSame($old, $browser->sessionId, 'no cookie for the new cfid');
        $this->assertStringContainsString('read-only', $answer['error']);
        $this->assertSame(1, $this->counter($new), 'not written');

        $browser->sessionId = $new; // the cookie that the client that rotated sent
        $this->assertSame(2, $this->json($browser->get($a . '/?do=count'))['session']['n']);
        $this->assertSame(2, $this->counter($new));
    }

    public function testDestroyEndsTheSession(): void
    {
        [$a, $b] = $this->servePair(self::APP, []);
        $browser = new Browser();
        $this->json($browser->get($a . '/?do=count'));
        $id = $browser->sessionId;
        $this->assertTrue($this->json($browser->get($b . '/?do=destroy'))['destroyed']);
        $this->assertSame(404, $this->api()->get($id)->status);
        $this->assertSame(1, $this->json($browser->get($a . '/?do=count'))['session']['n'], 'a new session');
    }

    public function testDestroyWithTheOldCookieAfterARegenerateEndsOnlyTheOldCfid(): void
    {
        [$a, $b] = $this->servePair(self::APP, []);
        $browser = new Browser();
        $this->json($browser->get($a . '/?do=count'));
        $old = $browser->sessionId;
        $this->json($browser->get($b . '/?do=regenerate'));
        $new = $browser->sessionId;
        $late = new Browser();
        $late->sessionId = $old;
        $this->assertTrue($this->json($late->get($a . '/?do=destroy'))['destroyed']);
        $this->assertSame($old, $late->sessionId, 'the old cookie is given no other cfid');
        $this->assertSame(404, $this->api()->get($old)->status, 'the old cfid is gone');
        $this->assertSame(200, $this->api()->get($new)->status, 'the session lives on where it is now');
        $this->assertSame(3, $this->json($browser->get($b . '/?do=count'))['session']['n'], 'and counts on');
    }

    public function testParallelRequestsChangingDifferentKeysBothKeepTheirChange(): void
    {
        [$a, $b] = $this->servePair(self::APP, ['session.serialize_handler' => 'php_serialize']);
        $browser = new Browser();
        $this->json($browser->get($a . '/?do=count'));
        // Both requests read the session before either writes it.
        $answers = Browser::parallel([
            [$browser, $a . '/?do=set&k=left&v=1&pause=300'],
            [$browser, $b . '/?do=set&k=right&v=2&pause=300'],
        ]);
        foreach ($answers as $answer) {
            $this->assertTrue($this->json($answer)['written']);
        }
        $session = $this->json($browser->get($a . '/?do=dump'))['session'];
        ksort($session);
        $this->assertSame(['left' => '1', 'n' => 1, 'right' => '2'], $session);
    }

    public function testTheLockOptionSerialisesParallelRequests(): void
    {
        // The one-string form: without the lock, the second write would replace the first (n = 2, not 3).
        [$a, $b] = $this->servePair(self::APP, ['session.serialize_handler' => 'php'], ['SCOPESTORE_LOCK' => '1']);
        $browser = new Browser();
        $this->json($browser->get($a . '/?do=count'));
        $started = microtime(true);
        $answers = Browser::parallel([
            [$browser, $a . '/?do=count&pause=300'],
            [$browser, $b . '/?do=count&pause=300'],
        ]);
        $this->assertGreaterThanOrEqual(0.6, microtime(true) - $started, 'the second request waited for the first');
        $counts = [];
        foreach ($answers as $answer) {
            $counts[] = $this->json($answer)['session']['n'];
        }
        sort($counts);
        $this->assertSame([2, 3], $counts);
        $this->assertSame(['php' => 'n|i:3;'], $this->api()->get($browser->sessionId)->data(), 'no lock left behind');
    }

    public function testKeysWrittenByAnotherClientAreReadWithEveryHandler(): void
    {
        $id = '6b3c1a2e-9f4d-4e8a-b1c2-3d4e5f6a7b8c';
        $this->api()->delete($id);
        $this->assertSame(201, $this->api()->create($id, ['n' => 41, 'user' => 'ann'])->status);
        foreach (['php', 'php_binary', 'php_serialize'] as $handler) {
            [$url] = $this->servePair(self::APP, ['session.serialize_handler' => $handler]);
            $browser = new Browser();
            $browser->sessionId = $id;
            $answer = $this->json($browser->get($url . '/?do=dump'));
            $this->assertSame(['n' => 41, 'user' => 'ann'], $answer['session'], $handler);
        }
    }

    /**
     * Serves a directory from two php -S servers sharing scopestore.
     *
     * @param array<string, string> $ini
     * @param array<string, string> $env
     * @return array{0: string, 1: string} their URLs
     */
    private function servePair(string $docroot, array $ini, array $env = []): array
    {
        if ($this->syncDir === '') {
            $this->syncDir = sys_get_temp_dir() . '/scopestore-php-sync-' . bin2hex(random_bytes(4));
            $this->assertTrue(mkdir($this->syncDir, 0o700));
        }
        $env += ['SCOPESTORE_URL' => Services::$url, 'SCOPESTORE_APP' => 'shop', 'SCOPESTORE_KEY' => Services::$key,
            'SCOPESTORE_SYNC_DIR' => $this->syncDir];
        $urls = [];
        foreach ([1, 2] as $_) {
            [$url, $process] = Services::phpServer((string) realpath($docroot), $env, $ini);
            $this->servers[] = $process;
            $urls[] = $url;
        }
        return [$urls[0], $urls[1]];
    }

    /** The counter n of a session in scopestore (stored by keys with php_serialize, or as the string). */
    private function counter(string $id): int
    {
        $r = $this->api()->get($id);
        $this->assertSame(200, $r->status, $r->describe());
        $data = $r->data();
        if (isset($data['php'])) {
            $this->assertMatchesRegularExpression('/^n\|i:(\d+);$/', $data['php']);
            return (int) substr($data['php'], 4, -1);
        }
        return $data['n'];
    }

    private function api(): Client
    {
        return new Client(Services::$url, 'shop', Services::$key, 5, 2);
    }

    /**
     * @param array{status: int, body: string} $answer
     * @return array<string, mixed>
     */
    private function json(array $answer): array
    {
        $this->assertSame(200, $answer['status'], $answer['body']);
        $decoded = json_decode($answer['body'], true);
        $this->assertIsArray($decoded, $answer['body']);
        return $decoded;
    }
}
