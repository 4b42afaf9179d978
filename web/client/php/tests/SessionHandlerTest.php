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

    public function testStrictModeKeepsARotatedCfidAndTheRequestReadsTheNewOneReadOnly(): void
    {
        // PHP's calls with strict mode: open, validateId, read, then write (or updateTimestamp) and close.
        $old = $this->existing(['n' => 1, 'user' => 'ann']);
        $new = $this->rotate($old); // by another request (PHP's regenerate, Go, Node), the one that sent the new cookie
        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $loads = $this->loads();
        $this->assertTrue($h->validateId($old), 'valid: PHP keeps the old id, hands out no new cookie, and reads it');
        $this->assertSame(['n' => 1, 'user' => 'ann'], unserialize((string) $h->read($old)), "the new cfid's data");
        $this->assertSame(2, $this->loads() - $loads, 'one GET of the old cfid and one of the new, shared by the read');
        $this->assertSame([], $this->errors);
        $this->assertTrue($h->write($old, serialize(['n' => 2, 'user' => 'eve'])), 'read-only: dropped, not failed');
        $this->assertTrue($h->close());
        $this->assertSame(['n' => 1, 'user' => 'ann'], $this->sorted($this->stored($new)), 'nothing written there');
        $was = $this->api()->get($old);
        $this->assertSame(['n' => 1, 'user' => 'ann'], $this->sorted($was->data()), 'nor to the old cfid');
        $this->assertSame($new, $was->body['rotatedTo'] ?? null);
        $this->assertCount(1, $this->errors, 'one warning');
        $this->assertStringContainsString(
            "write of session $old: a request that came with the cookie of a session rotated since is read-only: "
                . 'its changes are not saved (session fixation defence)',
            $this->errors[0],
        );
        $this->assertStringNotContainsString($new, $this->errors[0], 'the live cfid goes to no log');
        $this->assertSame($this->errors[0], $h->lastError());
    }

    public function testStrictModeStartsANewSessionWhenTheRotatedSessionEnded(): void
    {
        // PHP's calls with strict mode when validateId turns the id down: create_sid, read, write, close.
        $old = $this->existing(['n' => 1]);
        $new = $this->rotate($old);
        $this->assertSame(204, $this->api()->delete($new)->status, 'ended (logged out) at its new cfid');
        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $this->assertFalse($h->validateId($old), 'leads to no session: PHP makes a new id');
        $id = $h->create_sid();
        $this->assertMatchesRegularExpression(self::UUID_V4, $id);
        $this->assertNotSame($new, $id);
        $this->assertSame('', $h->read($id));
        $this->assertTrue($h->write($id, serialize(['n' => 1])));
        $this->assertTrue($h->close());
        $this->assertSame(['n' => 1], $this->stored($id));
        $this->assertSame(404, $this->api()->get($new)->status, 'the ended session does not come back');
        $this->assertSame($new, $this->api()->get($old)->body['rotatedTo'] ?? null);
        $this->assertSame([], $this->errors);
    }

    public function testWithoutStrictModeARotatedCfidIsReadAtItsNewCfidReadOnly(): void
    {
        // PHP's calls without strict mode: open, read, then write or updateTimestamp, close; no validateId.
        $old = $this->existing(['n' => 1]);
        $middle = $this->rotate($old);
        $new = $this->rotate($middle);
        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $this->assertSame(['n' => 1], unserialize((string) $h->read($old)), 'two rotations followed');
        $this->assertTrue($h->write($old, serialize(['n' => 2])), 'read-only: dropped, not failed');
        $this->assertTrue($h->updateTimestamp($old, serialize(['n' => 2])), 'nor a touch');
        $this->assertTrue($h->close());
        $this->assertSame(['n' => 1], $this->stored($new));
        $this->assertSame(['n' => 1], $this->api()->get($old)->data(), 'the old cfid is left as it was');
        $this->assertSame($middle, $this->api()->get($old)->body['rotatedTo'] ?? null);
        $this->assertCount(1, $this->errors, 'one warning for the request');
        $this->assertStringContainsString('read-only', $this->errors[0]);

        // A request that only reads, e.g. a page in another tab: touched nowhere, one warning all the same.
        $this->errors = [];
        $h = $this->handler();
        $data = $h->read($old);
        $this->assertIsString($data);
        $this->assertTrue($h->updateTimestamp($old, $data));
        $this->assertCount(1, $this->errors);
    }

    public function testWithoutStrictModeARotatedSessionThatEndedIsNotStartedAgain(): void
    {
        $old = $this->existing(['n' => 1]);
        $new = $this->rotate($old);
        $this->assertSame(204, $this->api()->delete($new)->status);
        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $this->assertSame('', $h->read($old), 'no session, not the old data');
        $this->assertTrue($h->write($old, serialize(['n' => 5])), 'dropped, warned: PHP cannot change the id here');
        $this->assertTrue($h->close());
        $this->assertSame(404, $this->api()->get($new)->status, 'not started again at its new cfid');
        $was = $this->api()->get($old);
        $this->assertSame(['n' => 1], $was->data(), 'nor at its old one');
        $this->assertSame($new, $was->body['rotatedTo'] ?? null);
        $this->assertCount(1, $this->errors);
        $this->assertStringContainsString('rotated, then ended', $this->errors[0]);
    }

    public function testADestroyWithTheOldCookieEndsOnlyTheOldCfid(): void
    {
        $old = $this->existing(['n' => 1]);
        $new = $this->rotate($old);
        $before = $this->api()->get($new);
        $h = $this->handler();
        $h->open('', 'PHPSESSID');
        $this->assertTrue($h->validateId($old));
        $this->assertIsString($h->read($old));
        $this->assertTrue($h->destroy($old));
        $this->assertTrue($h->close());
        $after = $this->api()->get($new);
        $this->assertSame(200, $after->status, 'the session at its new cfid lives on: the old cookie cannot end it');
        $this->assertSame($before->body['version'] ?? null, $after->body['version'] ?? null, 'nor change it');
        $this->assertSame(404, $this->api()->get($old)->status, 'the old cfid is gone');
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

    public function testAWriteAfterARotationToASessionThatEndedIsNotSaved(): void
    {
        $old = $this->existing(['n' => 1]);
        $h = $this->handler();
        $this->assertIsString($h->read($old));
        $new = $this->rotate($old);
        $this->assertSame(204, $this->api()->delete($new)->status, 'rotated, then ended (logged out)');
        $this->assertTrue($h->write($old, serialize(['n' => 2])), 'dropped with a warning');
        $this->assertSame(404, $this->api()->get($new)->status, 'the session does not come back at its new cfid');
        $this->assertSame(['n' => 1], $this->api()->get($old)->data());
        $this->assertCount(1, $this->errors);
        $this->assertStringContainsString('rotated, then ended', $this->errors[0]);
    }

    public function testAWriteWithoutAReadThatMeetsARotationIsDropped(): void
    {
        // Nothing shows that the request started before the rotation: read-only, as a read that found it rotated.
        $old = $this->existing(['n' => 1]);
        $new = $this->rotate($old);
        $h = $this->handler();
        $this->assertTrue($h->write($old, serialize(['n' => 2, 'x' => 1])), 'dropped, not failed');
        $this->assertTrue($h->updateTimestamp($old, serialize(['n' => 2, 'x' => 1])));
        $this->assertSame(['n' => 1], $this->stored($new));
        $this->assertSame(['n' => 1], $this->api()->get($old)->data());
        $this->assertCount(1, $this->errors);
        $this->assertStringContainsString('read-only', $this->errors[0]);

        // A read that found no session, then another request created the id and rotated it.
        $this->errors = [];
        $h = $this->handler();
        $id = '3f2c8a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
        $this->assertSame('', $h->read($id));
        $this->assertSame(201, $this->api()->create($id, ['n' => 1])->status);
        $moved = $this->rotate($id);
        $this->assertTrue($h->write($id, serialize(['x' => 1])));
        $this->assertSame(['n' => 1], $this->stored($moved));
        $this->assertCount(1, $this->errors);
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
        $this->assertSame([], $this->errors);
    }

    public function testALockedReadOfARotatedCfidWaitsForTheLockThereButDoesNotTakeIt(): void
    {
        $old = $this->existing(['n' => 1]);
        $new = $this->rotate($old);
        $holder = $this->handler(['lock' => true]);
        $this->assertSame(serialize(['n' => 1]), $holder->read($new), 'the request with the new cookie locks it');
        $late = $this->handler(['lock' => true, 'lock_wait' => 0.3]);
        $this->assertFalse($late->read($old), 'the old cookie waits for that lock, as any read');
        $this->assertStringContainsString('lock_wait', $late->lastError());
        $this->assertTrue($holder->write($new, serialize(['n' => 2])));

        $this->errors = [];
        $late = $this->handler(['lock' => true]);
        $this->assertSame(serialize(['n' => 2]), $late->read($old), 'then reads what it wrote');
        $this->assertSame(['n' => 2], $this->stored($new), 'read-only: the lock is not taken');
        $this->assertTrue($late->write($old, serialize(['n' => 3])));
        $this->assertTrue($late->close());
        $this->assertSame(['n' => 2], $this->stored($new));
        $this->assertCount(1, $this->errors);
        $this->assertStringContainsString('read-only', $this->errors[0]);
    }

    public function testAFailedRotationLeavesTheSessionAsItWasAndReleasesItsLock(): void
    {
        // App shopfull's maxMemory holds this session once, not the copy a rotation makes: 507 quota_exceeded.
        $api = new Client(Services::$url, 'shopfull', Services::$fullKey, 5, 2);
        $id = $this->handler()->create_sid();
        $data = ['n' => 1, 'pad' => str_repeat('x', 2000)];
        $this->assertSame(201, $api->create($id, $data)->status);
        try {
            $out = $this->phpSession(['id' => $id, 'options' => ['lock' => true],
                'steps' => ['start', 'set:n=2', 'regenerate']], 'shopfull', Services::$fullKey);
            $this->assertSame([['start', true], ['set:n=2', '2'], ['regenerate', false]], $out['steps']);
            $this->assertSame(PHP_SESSION_NONE, $out['status'], 'PHP closed the session, without writing it');
            $this->assertStringContainsString('Session object destruction failed', implode("\n", $out['warnings']));
            $this->assertStringContainsString('HTTP 507 quota_exceeded', implode("\n", $out['errors']));
            $r = $api->get($id);
            $this->assertArrayNotHasKey(SessionHandler::LOCK_KEY, $r->data(), 'the lock released by close()');
            $this->assertSame($data, $r->data(), 'as it was');
            $this->assertArrayNotHasKey('rotatedTo', $r->body);
        } finally {
            $api->delete($id);
        }
    }

    public function testARequestWithTheOldCookieCannotRegenerate(): void
    {
        $old = $this->existing(['n' => 1, 'user' => 'ann']);
        $new = $this->rotate($old);
        foreach (['regenerate', 'regenerate_keep'] as $regenerate) {
            // An attacker's cookie, fixed before the victim logged in: session_regenerate_id would hand it the
            // session's data under a cookie of its own (true: the rotation of the new cfid, no argument: a copy).
            $out = $this->phpSession(['id' => $old, 'steps' => ['start', $regenerate, 'close']]);
            $this->assertSame([['start', true], [$regenerate, false], ['close', false]], $out['steps'], $regenerate);
            $this->assertSame($old, $out['id'], 'no new id');
            $this->assertSame(PHP_SESSION_NONE, $out['status']);
            $this->assertSame(['n' => 1, 'user' => 'ann'], $out['session'], 'it did read the session');
            $this->assertStringContainsString('read-only', implode("\n", $out['errors']));
            $r = $this->api()->get($new);
            $this->assertSame(['n' => 1, 'user' => 'ann'], $this->sorted($r->data()));
            $this->assertArrayNotHasKey('rotatedTo', $r->body, 'the new cfid was not rotated on');
        }
    }

    public function testARegenerateDoesNotFollowARotationByAnotherRequest(): void
    {
        // The request read the session (and took its lock), then another request rotated it: rotating it
        // again at its new cfid would hand this request that cfid's cookie.
        $old = $this->existing(['n' => 1]);
        $out = $this->phpSession(['id' => $old, 'options' => ['lock' => true],
            'steps' => ['start', 'rotate', 'set:x=1', 'regenerate']]);
        $new = $out['steps'][1][1];
        $this->assertIsString($new);
        $this->assertSame(['regenerate', false], $out['steps'][3]);
        $this->assertSame(PHP_SESSION_NONE, $out['status']);
        $this->assertStringContainsString('another request rotated it', implode("\n", $out['errors']));
        $r = $this->api()->get($new);
        $this->assertArrayNotHasKey('rotatedTo', $r->body, 'not rotated on');
        $this->assertSame(['n' => 1], $r->data(), 'the lock that went along with the data released there by close()');
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

    /**
     * Runs PHP's session functions with the handler in a PHP process of their own (tests/session_calls.php),
     * and returns what it printed.
     *
     * @param array<string, mixed> $in
     * @return array<string, mixed>
     */
    private function phpSession(array $in, string $app = 'shop', ?string $key = null): array
    {
        $env = ['SCOPESTORE_URL' => Services::$url, 'SCOPESTORE_APP' => $app,
            'SCOPESTORE_KEY' => $key ?? Services::$key] + array_filter(getenv(), 'is_string');
        $cmd = [PHP_BINARY, '-d', 'session.serialize_handler=php_serialize', '-d', 'display_errors=stderr',
            __DIR__ . '/session_calls.php', json_encode($in, JSON_THROW_ON_ERROR)];
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $this->assertIsResource($p);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $this->assertSame(0, proc_close($p), $out . $err);
        $decoded = json_decode($out, true);
        $this->assertIsArray($decoded, $out . $err);
        return $decoded;
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
