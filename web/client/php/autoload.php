<?php

declare(strict_types=1);

// For applications without Composer: require this file, then use Scopestore\SessionHandler.
// With Composer, its own autoloader maps Scopestore\ to src/ (composer.json) and this file is not needed.
require_once __DIR__ . '/src/Response.php';
require_once __DIR__ . '/src/Client.php';
require_once __DIR__ . '/src/SessionHandler.php';
