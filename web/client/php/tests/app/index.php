<?php

declare(strict_types=1);

// The app AppTest drives through php -S: ?do=count (default), regenerate, destroy, set&k=…&v=…, dump (with
// read_and_close); &pause=MS waits between session_start() and the change, and &delay=MS before
// session_start(), so that parallel requests overlap as a test needs. For an order that must hold however slow
// the machine, requests meet at files in SCOPESTORE_SYNC_DIR: &before=NAME waits for the file NAME before
// session_start(), &wait=NAME between session_start() and the change; &started=NAME makes it once the session
// is started, &written=NAME once it is written. The answer is JSON: session_id(), $_SESSION, what
// session_write_close() returned and the handler's lastError(). Its configuration comes from the environment
// the test sets (SCOPESTORE_URL, _APP, _KEY, _LOCK, _SYNC_DIR, and _STRICT=0 for the option strict_mode off).

require __DIR__ . '/../../autoload.php';

$options = [];
if (getenv('SCOPESTORE_LOCK') === '1') {
    $options['lock'] = true;
}
if (getenv('SCOPESTORE_STRICT') === '0') {
    $options['strict_mode'] = false;
}
$handler = new Scopestore\SessionHandler(
    (string) getenv('SCOPESTORE_URL'),
    (string) getenv('SCOPESTORE_APP'),
    (string) getenv('SCOPESTORE_KEY'),
    $options,
);
session_set_save_handler($handler, true);

/** The path of a meeting file named in the query, or null when the query names none. */
function sync(string $param): ?string
{
    $name = $_GET[$param] ?? '';
    return is_string($name) && preg_match('/^[a-z0-9-]{1,40}$/', $name) === 1
        ? getenv('SCOPESTORE_SYNC_DIR') . '/' . $name : null;
}

/** Waits (up to 20 s) until another request made the file named by the query's parameter. */
function await(string $param): void
{
    $path = sync($param);
    for ($deadline = microtime(true) + 20; $path !== null && !file_exists($path); usleep(5_000)) {
        if (microtime(true) > $deadline) {
            http_response_code(500);
            echo json_encode(['error' => "no $path after 20 s"]), "\n";
            exit;
        }
    }
}

/** Makes the file named by the query's parameter, for the requests that wait for it. */
function signal(string $param): void
{
    $path = sync($param);
    if ($path !== null) {
        touch($path);
    }
}

header('Content-Type: application/json');
$do = $_GET['do'] ?? 'count';
$pause = (int) ($_GET['pause'] ?? 0); // milliseconds between the read and the change
usleep((int) ($_GET['delay'] ?? 0) * 1000); // milliseconds before the read
await('before');

if (!session_start($do === 'dump' ? ['read_and_close' => true] : [])) {
    http_response_code(503);
    echo json_encode(['error' => 'session_start failed']), "\n";
    exit;
}
signal('started');
usleep($pause * 1000);
await('wait');
switch ($do) {
    case 'count':
        $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
        break;
    case 'regenerate':
        session_regenerate_id(true);
        $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
        break;
    case 'destroy':
        session_destroy();
        echo json_encode(['id' => session_id(), 'destroyed' => true]), "\n";
        exit;
    case 'set':
        $_SESSION[(string) $_GET['k']] = (string) $_GET['v'];
        break;
    case 'dump':
        break;
}
$answer = ['id' => session_id(), 'session' => $_SESSION];
if ($do !== 'dump') {
    $answer['written'] = session_write_close();
    signal('written');
}
$answer['error'] = $handler->lastError();
echo json_encode($answer), "\n";
