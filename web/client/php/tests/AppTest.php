<?php

declare(strict_types=1);

namespace Scopestore\Tests;

use PHPUnit\Framework\TestCase;
use Scopestore\Client;

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

    /** @dataProvider serializeHandlers */
    public function testRegenerateIdMovesTheSessionAndEndsTheOldOne(string $serializeHandler): void
    {
        [$a, $b] = $this->servePair(self::APP, ['session.serialize_handler' => $serializeHandler]);
        $browser = new Browser();
        $first = $this->json($browser->get($a . '/?do=count'));
        $old = $browser->sessionId;
        $this->assertSame($old, $first['id']);
        $second = $this->json($browser->get($b . '/?do=regenerate'));
        $this->assertNotSame($old, $browser->sessionId);
        $this->assertSame(2, $second['session']['n']);
        $this->assertTrue($second['written']);
        $this->assertSame(404, $this->api()->get($old)->status, 'session_regenerate_id(true) destroys the old one');
        $this->assertSame(3, $this->json($browser->get($a . '/?do=count'))['session']['n']);
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
        $env += ['SCOPESTORE_URL' => Services::$url, 'SCOPESTORE_APP' => 'shop', 'SCOPESTORE_KEY' => Services::$key];
        $urls = [];
        foreach ([1, 2] as $_) {
            [$url, $process] = Services::phpServer((string) realpath($docroot), $env, $ini);
            $this->servers[] = $process;
            $urls[] = $url;
        }
        return [$urls[0], $urls[1]];
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
