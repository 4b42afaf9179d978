<?php

declare(strict_types=1);

// PHP's own session functions with the handler, in a process of their own: phpunit's process has written
// output, after which PHP starts no session, so SessionHandlerTest runs here the cases that need PHP's exact
// calls (session_regenerate_id's destroy, close, create_sid, …). No cookies: session_id() names the session.
//
//   SCOPESTORE_URL=… SCOPESTORE_APP=shop SCOPESTORE_KEY=… php -d session.serialize_handler=php_serialize \
//       tests/session_calls.php '{"id":"<cfid>","options":{"lock":true},"steps":["start","regenerate","close"]}'
//
// Steps: start (session_start), regenerate (session_regenerate_id(true)), regenerate_keep
// (session_regenerate_id()), set:k=v ($_SESSION[k] = v), rotate (another request rotates the session through
// the API), close (session_write_close), destroy (session_destroy). Prints one JSON object: each step's
// result, then session_id(), session_status(), $_SESSION, what on_error got and PHP's warnings.

require __DIR__ . '/../autoload.php';

$in = json_decode($argv[1] ?? '', true, 512, JSON_THROW_ON_ERROR);
$env = fn(string $name): string => (string) getenv($name);
$errors = [];
$warnings = [];
set_error_handler(static function (int $no, string $message) use (&$warnings): bool {
    $warnings[] = $message;
    return true;
});
ini_set('session.use_cookies', '0');
ini_set('session.cache_limiter', '');
ini_set('session.use_strict_mode', ($in['strict'] ?? true) ? '1' : '0');
$handler = new Scopestore\SessionHandler($env('SCOPESTORE_URL'), $env('SCOPESTORE_APP'), $env('SCOPESTORE_KEY'),
    ($in['options'] ?? []) + [
        'strict_mode' => $in['strict'] ?? true,
        'on_error' => static function (string $message) use (&$errors): void {
            $errors[] = $message;
        },
    ]);
session_set_save_handler($handler, false);
if (isset($in['id'])) {
    session_id($in['id']);
}

$steps = [];
foreach ($in['steps'] as $step) {
    [$name, $arg] = explode(':', $step, 2) + [1 => ''];
    $steps[] = [$step, match ($name) {
        'start' => session_start(),
        'regenerate' => session_regenerate_id(true),
        'regenerate_keep' => session_regenerate_id(),
        'set' => $_SESSION[explode('=', $arg, 2)[0]] = explode('=', $arg, 2)[1] ?? '',
        'rotate' => (new Scopestore\Client($env('SCOPESTORE_URL'), $env('SCOPESTORE_APP'), $env('SCOPESTORE_KEY')))
            ->rotate((string) session_id())->body['cfid'] ?? null,
        'close' => session_write_close(),
        'destroy' => session_destroy(),
    }];
}
echo json_encode([
    'steps' => $steps,
    'id' => session_id(),
    'status' => session_status(),
    'session' => $_SESSION ?? null,
    'errors' => $errors,
    'warnings' => $warnings,
]), "\n";
