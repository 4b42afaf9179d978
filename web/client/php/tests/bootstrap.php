<?php

declare(strict_types=1);

// Builds scopestore from this repository and starts it on a loopback port (tests/Services.php); the tests
// skip with the reason when that cannot be done, or fail with SCOPESTORE_TEST_REQUIRE_SERVICES=1.
require __DIR__ . '/../autoload.php';
require __DIR__ . '/Services.php';
require __DIR__ . '/Browser.php';

Scopestore\Tests\Services::start();
if (Scopestore\Tests\Services::$problem !== null) {
    fwrite(STDERR, 'scopestore is not running for these tests: ' . Scopestore\Tests\Services::$problem . "\n");
}
