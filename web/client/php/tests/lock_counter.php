<?php

declare(strict_types=1);

// The README's example, run by SharedScopeTest in several processes at once: increments the application
// scope's "n" $argv[1] times, each under the lock "counter" with its fence. Prints "ok" or the failure.
//
//   SCOPESTORE_URL=… SCOPESTORE_APP=shop SCOPESTORE_KEY=… php tests/lock_counter.php 5

require __DIR__ . '/../autoload.php';

$client = new Scopestore\Client(
    (string) getenv('SCOPESTORE_URL'),
    (string) getenv('SCOPESTORE_APP'),
    (string) getenv('SCOPESTORE_KEY'),
);
for ($i = 0; $i < (int) ($argv[1] ?? 1); $i++) {
    $lock = $client->lock('counter', timeout: 20.0, lease: 10.0);
    if ($lock->status !== 201) {
        exit('lock: ' . $lock->describe() . "\n");
    }
    $token = (string) $lock->body['token'];
    try {
        $app = $client->application();
        if (!$app->ok()) {
            exit('get: ' . $app->describe() . "\n");
        }
        $data = $app->data();
        $data['n'] = ($data['n'] ?? 0) + 1;
        $saved = $client->saveApplication($data, ifFence: (int) $lock->body['fence']);
        if (!$saved->ok()) {
            exit('save: ' . $saved->describe() . "\n"); // 412: the lease ran out and another process wrote
        }
    } finally {
        $client->unlock('counter', $token);
    }
}
echo "ok\n";
