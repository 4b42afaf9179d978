<?php

declare(strict_types=1);

namespace Scopestore\Tests;

use PHPUnit\Framework\TestCase;
use Scopestore\Client;

/**
 * The client's application scope, server scope and named locks against a real scopestore, and the session
 * calls' incr and If-Fence.
 */
final class SharedScopeTest extends TestCase
{
    protected function setUp(): void
    {
        Services::need($this);
    }

    public function testApplicationScope(): void
    {
        $app = Services::admin(['app', 'create', 'appscope']);
        $c = new Client(Services::$url, 'appscope', $app);

        $r = $c->application();
        $this->assertSame(200, $r->status, $r->describe());
        $this->assertSame(1, $r->version);
        $this->assertSame('appscope', $r->body['applicationname'] ?? null);
        $this->assertArrayNotHasKey('cfid', $r->body);
        $this->assertSame([], $r->data());

        $r = $c->saveApplication(['flags' => ['newCheckout' => true]], 1);
        $this->assertSame(200, $r->status, $r->describe());
        $this->assertSame(2, $r->version);
        $stale = $c->saveApplication([], 1);
        $this->assertSame(412, $stale->status);
        $this->assertSame('precondition_failed', $stale->code());

        $r = $c->patchApplication(set: ['lang' => 'de'], incr: ['orders' => 2]);
        $this->assertSame(200, $r->status, $r->describe());
        $this->assertSame(3, $r->version);
        $this->assertSame(['flags' => ['newCheckout' => true], 'lang' => 'de', 'orders' => 2], $r->data());
        $this->assertSame(412, $c->patchApplication(unset: ['lang'], ifVersion: 2)->status);
        $r = $c->patchApplication(unset: ['lang'], ifVersion: 3);
        $this->assertSame(['flags' => ['newCheckout' => true], 'orders' => 2], $r->data());
    }

    public function testServerScopeIsWrittenOnlyByAllowedApps(): void
    {
        $writer = new Client(Services::$url, 'serverwriter', Services::admin(['app', 'create', 'serverwriter']));
        $reader = new Client(Services::$url, 'serverreader', Services::admin(['app', 'create', 'serverreader']));

        $r = $writer->server();
        $this->assertSame(200, $r->status, $r->describe());
        $this->assertArrayNotHasKey('applicationname', $r->body);
        $denied = $writer->patchServer(set: ['motd' => 'hi']);
        $this->assertSame(403, $denied->status);
        $this->assertSame('forbidden', $denied->code());
        $this->assertStringContainsString('server-scope-write', $denied->describe());

        Services::admin(['app', 'settings', 'serverwriter', '--server-scope-write', 'true']);
        $r = $writer->saveServer(['motd' => 'hi'], $writer->server()->version);
        $this->assertSame(200, $r->status, $r->describe());
        $this->assertSame(['motd' => 'hi'], $reader->server()->data());
        $this->assertSame(403, $reader->saveServer([])->status);
    }

    public function testFenceRefusesAWriteOfAnOlderHolder(): void
    {
        $c = new Client(Services::$url, 'shop', Services::$key);
        $first = $c->lock('fenced', lease: 1.0);
        $this->assertSame(201, $first->status, $first->describe());
        $this->assertSame('fenced', $first->body['name']);
        $this->assertGreaterThan(0, $first->body['fence']);
        $held = $c->lock('fenced', timeout: 0.0);
        $this->assertSame(423, $held->status);
        $this->assertSame('locked', $held->code());

        $this->assertSame(200, $c->renewLock('fenced', $first->body['token'], 2.0)->status);
        $this->assertSame(204, $c->unlock('fenced', $first->body['token'])->status);
        $this->assertSame(409, $c->unlock('fenced', $first->body['token'])->status, 'released already');
        $this->assertSame(409, $c->renewLock('fenced', $first->body['token'])->status);

        $second = $c->lock('fenced');
        $this->assertGreaterThan($first->body['fence'], $second->body['fence']);
        $r = $c->patchApplication(set: ['by' => 'second'], ifFence: $second->body['fence']);
        $this->assertSame(200, $r->status, $r->describe());
        $this->assertSame($second->body['fence'], $r->body['fence']);
        $late = $c->saveApplication(['by' => 'first'], ifFence: $first->body['fence']);
        $this->assertSame(412, $late->status);
        $this->assertSame('precondition_failed', $late->code());
        $this->assertSame('second', $c->application()->data()['by']);

        // Sessions take If-Fence, and incr, too.
        $cfid = '3b241101-e2bb-4255-8caf-4136c566a962';
        $this->assertSame(201, $c->create($cfid, ['n' => 1])->status);
        $r = $c->patch($cfid, [], [], incr: ['n' => 2], ifFence: $second->body['fence']);
        $this->assertSame(200, $r->status, $r->describe());
        $this->assertSame(['n' => 3], $r->data());
        $this->assertSame(412, $c->put($cfid, ['n' => 0], ifFence: $first->body['fence'])->status);
        $this->assertSame(204, $c->unlock('fenced', $second->body['token'])->status);

        $session = $c->lock('session:' . $cfid, 'readonly', 0.0);
        $this->assertSame('session:' . $cfid, $session->body['name'], 'the colon is kept');
        $this->assertSame('readonly', $session->body['type']);
        $this->assertSame(201, $c->lock('session:' . $cfid, 'readonly', 0.0)->status, 'readers share it');
    }

    public function testLockNamesKeepWhatAPathEscapes(): void
    {
        $c = new Client(Services::$url, 'shop', Services::$key);
        foreach (['session:0f8fad5b-d9cb-469f-a165-70867728950e', 'a b!c,d;e=f(g)%h@é*[x]'] as $name) {
            $lock = $c->lock($name, timeout: 0.0);
            $this->assertSame(201, $lock->status, $lock->describe());
            $this->assertSame($name, $lock->body['name']);
            $this->assertSame(423, $c->lock($name, timeout: 0.0)->status);
            $this->assertSame(204, $c->unlock($name, $lock->body['token'])->status);
        }
        $this->expectException(\InvalidArgumentException::class);
        $c->lock('a/b');
    }

    /** The README's example in four processes at once: no increment is lost. */
    public function testCounterUnderLockFromSeveralProcesses(): void
    {
        $key = Services::admin(['app', 'create', 'counter']);
        $env = ['SCOPESTORE_URL' => Services::$url, 'SCOPESTORE_APP' => 'counter', 'SCOPESTORE_KEY' => $key]
            + array_filter(getenv(), 'is_string');
        $processes = [];
        foreach (range(1, 4) as $_) {
            $cmd = [PHP_BINARY, __DIR__ . '/lock_counter.php', '5'];
            $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
            $this->assertIsResource($p);
            $processes[] = [$p, $pipes];
        }
        foreach ($processes as [$p, $pipes]) {
            $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
            fclose($pipes[1]);
            fclose($pipes[2]);
            $this->assertSame(0, proc_close($p));
            $this->assertSame("ok\n", $out);
        }
        $r = (new Client(Services::$url, 'counter', $key))->application();
        $this->assertSame(20, $r->data()['n'] ?? null);
        $this->assertGreaterThan(0, $r->body['fence'] ?? 0);
    }

    public function testTheClientRefusesWhatCannotWork(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage('scopestore URL');
        new Client('127.0.0.1:8080', 'shop', 'k');
    }
}
