<?php

declare(strict_types=1);

// A counter in $_SESSION, kept in scopestore: serve this directory from two PHP servers and the count goes
// on whichever one a request reaches (README.md, "The example").
//
//   SCOPESTORE_KEY=… php -S 127.0.0.1:8001 -t example
//   SCOPESTORE_KEY=… php -S 127.0.0.1:8002 -t example

require __DIR__ . '/../autoload.php'; // with Composer: require 'vendor/autoload.php';

session_set_save_handler(new Scopestore\SessionHandler(
    getenv('SCOPESTORE_URL') ?: 'http://127.0.0.1:8080',
    getenv('SCOPESTORE_APP') ?: 'shop',
    (string) getenv('SCOPESTORE_KEY'),
), true);

header('Content-Type: text/plain; charset=utf-8');
if (!session_start()) {
    // scopestore did not answer, or answered 503: the session exists but cannot be read. Going on with an
    // empty one would lose it at the write, so the request stops here.
    http_response_code(503);
    header('Retry-After: 5');
    echo "Sessions are unavailable for a moment; try again shortly.\n";
    exit;
}

$_SESSION['counter'] = ($_SESSION['counter'] ?? 0) + 1;
echo $_SESSION['counter'], "\n";
