<?php

declare(strict_types=1);

namespace Scopestore\Tests;

use PHPUnit\Framework\TestCase;
use Scopestore\Client;
use Scopestore\SessionHandler;

/**
 * The handler's methods called as PHP's session module calls them, against a real scopestore; this process
 * runs with session.serialize_handler=php_serialize (phpunit.xml.dist).
 */
final class SessionHandlerTest extends TestCase
{
    private const UUID_V4 = '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/';

    /** @var list<string> */
    private array $errors = [];

    protected function setUp(): void
    {
        Services::need($this);
        $this->errors = [];
    }

    public function testCreateSidIsALowercaseUuidV4(): void
    {
        $h = $this->handler();
        $a = $h->create_sid();
        $b = $h->create_sid();
        $this->assertMatchesRegularExpression(self::UUID_V4, $a);
        $this->assertMatchesRegularExpression(self::UUID_V4, $b);
        $this->assertNotSame($a, $b);
    }

    public function testLifecycle(): void
    {
        $h = $this->handler();
        $this->assertTrue($h->open('', 'PHPSESSID'));
        $id = $h->create_sid();
        $this->assertFalse($h->validateId($id), 'a new id names no session yet');
        $this->assertSame('', $h->read($id));
        $this->assertTrue($h->write($id, serialize(['n' => 1, 'cart' => [1, 2]])));
        $this->assertTrue($h->close());
        $this->assertSame(['n' => 1, 'cart' => [1, 2]], $this->stored($id), 'stored by keys with php_serialize');

        // The next request: validateId and read cost one GET between them.
        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $loads = $this->loads();
        $this->assertTrue($h->validateId($id));
        $this->assertSame(serialize(['n' => 1, 'cart' => [1, 2]]), $h->read($id));
        $this->assertSame(1, $this->loads() - $loads, 'validateId + read must cost one GET');
        $this->assertTrue($h->write($id, serialize(['n' => 2, 'lang' => 'de'])));
        $this->assertTrue($h->updateTimestamp($id, serialize(['n' => 2, 'lang' => 'de'])));
        $this->assertTrue($h->close());
        $this->assertSame(['lang' => 'de', 'n' => 2], $this->sorted($this->stored($id)));

        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $this->assertTrue($h->validateId($id));
        $this->assertIsString($h->read($id));
        $this->assertTrue($h->destroy($id));
        $this->assertTrue($h->close());
        $this->assertSame(404, $this->api()->get($id)->status);

        $h = $this->handler();
        $this->assertFalse($h->validateId($id), 'a destroyed session is not valid');
        $this->assertSame('', $h->read($id));
        $this->assertTrue($h->destroy($id), 'destroying a session that is gone is fine');
        $this->assertSame(0, $h->gc(1440), 'scopestore expires sessions itself');
        $this->assertSame([], $this->errors);
    }

    public function testUnchangedSessionIsTouchedNotWritten(): void
    {
        $id = $this->existing(['n' => 1]);
        $h = $this->handler();
        $before = $this->api()->get($id)->version;
        $data = $h->read($id);
        $this->assertIsString($data);
        $this->assertTrue($h->write($id, $data), 'no change: a touch');
        $this->assertTrue($h->updateTimestamp($id, $data));
        $this->assertSame($before, $this->api()->get($id)->version, 'a touch changes no version');
    }

    public function testWritesSendOnlyTheKeysThatChanged(): void
    {
        $id = $this->existing(['a' => 1, 'b' => 1, 'c' => 1]);
        // Two requests read the same session at once; each changes a different key.
        $first = $this->handler();
        $second = $this->handler();
        $this->assertIsString($first->read($id));
        $this->assertIsString($second->read($id));
        $this->assertTrue($first->write($id, serialize(['a' => 2, 'b' => 1, 'c' => 1])));
        $this->assertTrue($second->write($id, serialize(['a' => 1, 'b' => 2])));
        $this->assertSame(['a' => 2, 'b' => 2], $this->sorted($this->stored($id)), 'both changes kept, c removed');
    }

    public function testStringForm(): void
    {
        $h = $this->handler(['format' => 'string']);
        $id = $h->create_sid();
        $this->assertSame('', $h->read($id));
        $session = 'user|s:3:"ann";cart|a:1:{i:0;i:7;}';
        $this->assertTrue($h->write($id, $session));
        $this->assertSame(['php' => $session], $this->stored($id));
        $this->assertSame($session, $this->handler(['format' => 'string'])->read($id));
    }

    public function testStringsThatAreNotUtf8AreStoredInBase64(): void
    {
        $h = $this->handler();
        $id = $h->create_sid();
        $h->read($id);
        $session = serialize(['token' => "\xff\xfe\x00binary"]);
        $this->assertTrue($h->write($id, $session));
        $this->assertSame(['phpBase64' => base64_encode($session)], $this->stored($id));
        $this->assertSame($session, $this->handler()->read($id));
    }

    public function testSessionsHoldingObjectsAreStoredAsOneString(): void
    {
        $h = $this->handler();
        $id = $h->create_sid();
        $h->read($id);
        $session = serialize(['when' => new \DateTimeImmutable('2026-11-21T12:00:00Z'), 'n' => 1]);
        $this->assertTrue($h->write($id, $session));
        $this->assertSame(['php' => $session], $this->stored($id));
        $this->assertSame($session, $this->handler()->read($id));

        // The other way: objects gone, keys again (a PUT, replacing the string).
        $h = $this->handler();
        $h->read($id);
        $this->assertTrue($h->write($id, serialize(['n' => 2])));
        $this->assertSame(['n' => 2], $this->stored($id));
    }

    public function testASessionOfTheSingleKeyPhpIsNotMistakenForTheStringForm(): void
    {
        $h = $this->handler();
        $id = $h->create_sid();
        $h->read($id);
        $session = serialize(['php' => 'a string']);
        $this->assertTrue($h->write($id, $session));
        $this->assertSame($session, $this->handler()->read($id));
    }

    public function testReadsKeysThatOtherClientsWrote(): void
    {
        $data = ['cart' => [1, 2], 'user' => ['name' => 'ann'], 'price' => 2.5, 'ok' => true, 'none' => null];
        $id = $this->existing($data);
        $read = $this->handler()->read($id);
        $this->assertIsString($read);
        $this->assertSame($data, $this->sorted(unserialize($read), array_keys($data)));
    }

    public function testAnEmptyNewSessionIsNotCreated(): void
    {
        $h = $this->handler();
        $id = $h->create_sid();
        $this->assertSame('', $h->read($id));
        $this->assertTrue($h->write($id, serialize([])));
        $this->assertTrue($h->updateTimestamp($id, serialize([])));
        $this->assertSame(404, $this->api()->get($id)->status);
    }

    public function testCreateOfAnIdThatAnotherRequestCreatedFirstMergesTheKeys(): void
    {
        $h = $this->handler();
        $id = $h->create_sid();
        $this->assertSame('', $h->read($id));
        $this->assertSame(201, $this->api()->create($id, ['other' => 1])->status);
        $this->assertTrue($h->write($id, serialize(['mine' => 1])), 'the 412 of If-None-Match: * turns into a PATCH');
        $this->assertSame(['mine' => 1, 'other' => 1], $this->sorted($this->stored($id)));
    }

    public function testCreateOfAnIdThatAnotherRequestCreatedFirstReplacesTheString(): void
    {
        $h = $this->handler(['format' => 'string']);
        $id = $h->create_sid();
        $h->read($id);
        $this->assertSame(201, $this->api()->create($id, ['other' => 1])->status);
        $this->assertTrue($h->write($id, 'mine|i:1;'), 'the 412 of If-None-Match: * turns into a PUT');
        $this->assertSame(['php' => 'mine|i:1;'], $this->stored($id));
    }

    public function testWriteOfASessionThatEndedSinceTheReadCreatesItAgain(): void
    {
        $id = $this->existing(['n' => 1]);
        $h = $this->handler();
        $this->assertIsString($h->read($id));
        $this->assertSame(204, $this->api()->delete($id)->status);
        $this->assertTrue($h->write($id, serialize(['n' => 2])));
        $this->assertSame(['n' => 2], $this->stored($id));
    }

    public function testStorageDownFailsTheRead(): void
    {
        // App shopdown keeps its sessions in a Redis that does not answer: scopestore answers 503.
        $h = $this->handler([], Services::$downKey, Services::$url, 'shopdown');
        $id = '0f8fad5b-d9cb-469f-a165-70867728950e';
        $this->assertTrue($h->validateId($id), 'cannot tell: the read must fail, not a new id be made');
        $this->assertFalse($h->read($id), 'a 503 is never an empty session');
        $this->assertStringContainsString('503 unavailable', $h->lastError());
        $this->assertFalse($h->write($id, serialize(['n' => 1])));
        $this->assertFalse($h->destroy($id));
        $this->assertFalse($h->updateTimestamp($id, serialize(['n' => 1])));
        $this->assertCount(4, $this->errors);
    }

    public function testScopestoreUnreachableFailsTheRead(): void
    {
        $h = $this->handler([], Services::$key, 'http://127.0.0.1:' . Services::$closedPort);
        $id = '0f8fad5b-d9cb-469f-a165-70867728950e';
        $this->assertTrue($h->validateId($id));
        $this->assertFalse($h->read($id));
        $this->assertStringContainsString('no answer', $h->lastError());
        $this->assertSame($h->lastError(), $this->errors[0] ?? '', 'on_error gets the message');
    }

    public function testAWrongKeyFailsTheRead(): void
    {
        $h = $this->handler([], 'ssk_not-a-key');
        $this->assertFalse($h->read('0f8fad5b-d9cb-469f-a165-70867728950e'));
        $this->assertStringContainsString('401', $h->lastError());
    }

    public function testIdsThatAreNotLowercaseUuidsAreRefused(): void
    {
        $h = $this->handler();
        foreach (['abc', '0F8FAD5B-D9CB-469F-A165-70867728950E', '0f8fad5b-d9cb-469f-a165-70867728950e/x', ''] as $id) {
            $this->assertFalse($h->validateId($id), $id);
        }
        $this->assertFalse($h->read('abc'));
        $this->assertStringContainsString('use_strict_mode', $h->lastError());
        $this->assertFalse($h->write('abc', ''));
        $this->assertTrue($h->destroy('abc'), 'nothing is stored under such an id');
    }

    /** @dataProvider badArguments */
    public function testProgrammingMistakesThrow(
        string $url,
        string $app,
        string $key,
        array $options,
        string $message
    ): void {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        new SessionHandler($url, $app, $key, $options);
    }

    /** @return array<string, array{string, string, string, array<string, mixed>, string}> */
    public static function badArguments(): array
    {
        return [
            'not http' => ['ftp://127.0.0.1', 'shop', 'k', [], 'scopestore URL'],
            'no host' => ['http://', 'shop', 'k', [], 'scopestore URL'],
            'query' => ['http://127.0.0.1:8080/?x=1', 'shop', 'k', [], 'scopestore URL'],
            'app name' => ['http://127.0.0.1:8080', 'my shop', 'k', [], 'app name'],
            'empty key' => ['http://127.0.0.1:8080', 'shop', '', [], 'SCOPESTORE_KEY'],
            'key with a space' => ['http://127.0.0.1:8080', 'shop', 'a b', [], 'API key'],
            'unknown option' => ['http://127.0.0.1:8080', 'shop', 'k', ['locking' => true], 'unknown option'],
            'timeout' => ['http://127.0.0.1:8080', 'shop', 'k', ['timeout' => 0], 'timeout'],
            'format' => ['http://127.0.0.1:8080', 'shop', 'k', ['format' => 'json'], 'format'],
        ];
    }

    public function testLockMakesASecondRequestWait(): void
    {
        $id = $this->existing(['n' => 1]);
        $first = $this->handler(['lock' => true]);
        $second = $this->handler(['lock' => true, 'lock_wait' => 0.3]);
        $this->assertSame(serialize(['n' => 1]), $first->read($id), 'the lock is not part of the session');
        $this->assertArrayHasKey(SessionHandler::LOCK_KEY, $this->stored($id));

        $started = microtime(true);
        $this->assertFalse($second->read($id), 'the lock is held');
        $this->assertGreaterThanOrEqual(0.3, microtime(true) - $started);
        $this->assertStringContainsString('lock_wait', $second->lastError());

        $this->assertTrue($first->write($id, serialize(['n' => 2])));
        $this->assertSame(['n' => 2], $this->stored($id), 'the write releases the lock');
        $this->assertSame(serialize(['n' => 2]), $second->read($id));
        $this->assertTrue($second->close(), 'close releases a lock that no write released');
        $this->assertSame(['n' => 2], $this->stored($id));
    }

    public function testLockOnTheStringForm(): void
    {
        $id = $this->handler()->create_sid();
        $this->assertSame(201, $this->api()->create($id, ['php' => 'n|i:1;'])->status);
        $h = $this->handler(['lock' => true, 'format' => 'string']);
        $this->assertSame('n|i:1;', $h->read($id), 'the lock key is not part of the string');
        $this->assertTrue($h->updateTimestamp($id, 'n|i:1;'), 'an unchanged session releases the lock');
        $this->assertSame(['php' => 'n|i:1;'], $this->stored($id));
        $h->close();

        $h = $this->handler(['lock' => true, 'format' => 'string']);
        $h->read($id);
        $this->assertTrue($h->write($id, 'n|i:2;'));
        $this->assertSame(['php' => 'n|i:2;'], $this->stored($id));
    }

    public function testAWriteAfterTheLockWasTakenOverFails(): void
    {
        $id = $this->existing(['n' => 1]);
        $slow = $this->handler(['lock' => true, 'lock_lease' => 0.2]);
        $next = $this->handler(['lock' => true]);
        $this->assertIsString($slow->read($id));
        usleep(300_000); // the lease ends
        $this->assertSame(serialize(['n' => 1]), $next->read($id), 'an expired lock is taken over');
        $this->assertFalse($slow->write($id, serialize(['n' => 2])), 'the 412 of If-Match: the lock was lost');
        $this->assertStringContainsString('lock was lost', $slow->lastError());
        $this->assertTrue($next->write($id, serialize(['n' => 3])));
        $this->assertSame(['n' => 3], $this->stored($id));
    }

    public function testStrictModeTurnsDownARotatedCfidForTheNewOne(): void
    {
        // Another client (Go, Node, or PHP in another request) rotated the session.
        $old = $this->existing(['n' => 1, 'user' => 'ann']);
        $new = $this->rotate($old);
        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $this->assertFalse($h->validateId($old), 'turned down, so that PHP asks create_sid for an id');
        $this->assertSame($new, $h->create_sid(), 'the id PHP asks for next is the new cfid');
        $this->assertSame(['n' => 1, 'user' => 'ann'], unserialize((string) $h->read($new)));
        $this->assertTrue($h->write($new, serialize(['n' => 2, 'user' => 'ann'])));
        $this->assertSame(['n' => 2, 'user' => 'ann'], $this->sorted($this->stored($new)));
        $this->assertMatchesRegularExpression(self::UUID_V4, $h->create_sid(), 'handed out once');
        $this->assertSame([], $this->errors);
    }

    public function testReadOfARotatedCfidFollowsItAndItsWritesGoThere(): void
    {
        // Without strict mode PHP reads the id it got: the handler reads and writes the new cfid in its place.
        $old = $this->existing(['n' => 1]);
        $middle = $this->rotate($old);
        $new = $this->rotate($middle);
        $h = $this->handler();
        $this->assertSame(['n' => 1], unserialize((string) $h->read($old)), 'two rotations followed');
        $this->assertTrue($h->write($old, serialize(['n' => 2])));
        $this->assertSame(['n' => 2], $this->stored($new));
        $this->assertSame(['n' => 1], $this->api()->get($old)->data(), 'the old cfid is left as it was');
        $this->assertSame($middle, $this->api()->get($old)->body['rotatedTo'] ?? null);

        $h = $this->handler();
        $this->assertIsString($h->read($old));
        $this->assertTrue($h->updateTimestamp($old, serialize(['n' => 2])), 'a touch, of the new cfid');
        $this->assertTrue($h->destroy($old));
        $this->assertSame(404, $this->api()->get($new)->status, 'destroy ends the session where it lives');
        $this->assertSame(200, $this->api()->get($old)->status, 'its old cfid answers for the grace');

        $h = $this->handler();
        $this->assertFalse($h->validateId($old), 'but leads to no session');
        $id = $h->create_sid();
        $this->assertNotSame($new, $id, 'a new id: the session ended');
        $this->assertSame('', $h->read($old), 'without strict mode: an empty session');
        $this->assertTrue($h->write($old, serialize(['n' => 1])));
        $this->assertSame(['n' => 1], $this->stored($new), 'at the cfid the old one leads to');
        $this->assertSame([], $this->errors);
    }

    public function testAWriteAfterARotationGoesToTheNewCfid(): void
    {
        $old = $this->existing(['a' => 1, 'b' => 1]);
        $changes = $this->handler();
        $touches = $this->handler();
        $this->assertIsString($changes->read($old));
        $this->assertIsString($touches->read($old));
        // Rotated by another request while these two were running: the 409 rotated is sent on to the new cfid.
        $new = $this->rotate($old);
        $this->assertSame(200, $this->api()->patch($new, ['c' => 1], [])->status, 'another request adds c');
        $this->assertTrue($changes->write($old, serialize(['a' => 2, 'b' => 1])), 'not a failed write');
        $this->assertSame(['a' => 2, 'b' => 1, 'c' => 1], $this->sorted($this->stored($new)), 'only a was sent');
        $this->assertSame(['a' => 1, 'b' => 1], $this->sorted($this->api()->get($old)->data()));
        $this->assertTrue($touches->write($old, serialize(['a' => 1, 'b' => 1])), 'unchanged: a touch of the new cfid');
        $this->assertTrue($touches->write($old, serialize(['a' => 1])), 'the next write goes to the new cfid at once');
        $this->assertSame(['a' => 2, 'c' => 1], $this->sorted($this->stored($new)));
        $this->assertSame([], $this->errors);
    }

    public function testAWriteOfALockedSessionAfterARotationGoesToTheNewCfid(): void
    {
        $old = $this->existing(['n' => 1]);
        $h = $this->handler(['lock' => true]);
        $this->assertSame(serialize(['n' => 1]), $h->read($old));
        $new = $this->rotate($old); // the lock goes along with the data
        $this->assertArrayHasKey(SessionHandler::LOCK_KEY, $this->stored($new));
        $this->assertTrue($h->write($old, serialize(['n' => 2])));
        $this->assertSame(['n' => 2], $this->stored($new), 'written, and the lock released there');

        $h = $this->handler(['lock' => true]);
        $this->assertSame(serialize(['n' => 2]), $h->read($old), 'a locked read follows the rotation too');
        $this->assertArrayHasKey(SessionHandler::LOCK_KEY, $this->stored($new));
        $this->assertTrue($h->close());
        $this->assertSame(['n' => 2], $this->stored($new), 'close releases the lock at the new cfid');
        $this->assertSame([], $this->errors);
    }

    /** @param array<string, mixed> $options */
    private function handler(
        array $options = [],
        ?string $key = null,
        ?string $url = null,
        string $app = 'shop'
    ): SessionHandler {
        return new SessionHandler($url ?? Services::$url, $app, $key ?? Services::$key, $options + [
            'on_error' => function (string $message): void {
                $this->errors[] = $message;
            },
        ]);
    }

    private function api(): Client
    {
        return new Client(Services::$url, 'shop', Services::$key, 5, 2);
    }

    /**
     * A session created through the API, as another client would.
     *
     * @param array<string, mixed> $data
     */
    private function existing(array $data): string
    {
        $id = $this->handler()->create_sid();
        $this->assertSame(201, $this->api()->create($id, $data)->status);
        return $id;
    }

    /** Rotates a session through the API, as another client would, and returns its new cfid. */
    private function rotate(string $id): string
    {
        $r = $this->api()->rotate($id);
        $this->assertSame(201, $r->status, $r->describe());
        $this->assertIsString($r->body['cfid'] ?? null);
        return $r->body['cfid'];
    }

    /** @return array<mixed> the session's data in scopestore */
    private function stored(string $id): array
    {
        $r = $this->api()->get($id);
        $this->assertSame(200, $r->status, $r->describe());
        return $r->data();
    }

    /**
     * The array's keys sorted, or put in the given order: scopestore may return a PATCHed object's keys in
     * another order.
     *
     * @param array<mixed> $a
     * @param list<string>|null $order
     * @return array<mixed>
     */
    private function sorted(array $a, ?array $order = null): array
    {
        if ($order === null) {
            ksort($a);
            return $a;
        }
        $out = [];
        foreach ($order as $k) {
            $out[$k] = $a[$k] ?? null;
        }
        return $out;
    }

    /** How many session loads (GETs) scopestore has answered, from its metrics. */
    private function loads(): int
    {
        $metrics = (string) file_get_contents(Services::$url . '/metrics');
        $n = 0;
        preg_match_all('/^scopestore_scope_operations_total\{([^}]*)\} (\d+)/m', $metrics, $m, PREG_SET_ORDER);
        foreach ($m as [, $labels, $count]) {
            if (str_contains($labels, 'op="load"')) {
                $n += (int) $count;
            }
        }
        return $n;
    }
}
