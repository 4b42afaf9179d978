<?php

declare(strict_types=1);

// The app AppTest drives through php -S: ?do=count (default), regenerate, destroy, set&k=…&v=…, dump (with
// read_and_close); &pause=MS waits between session_start() and the change, and &delay=MS before
// session_start(), so that parallel requests overlap as a test needs. Its configuration comes from the
// environment the test sets (SCOPESTORE_URL, _APP, _KEY, _LOCK, and _STRICT=0 for the option strict_mode off).

require __DIR__ . '/../../autoload.php';

$options = [];
if (getenv('SCOPESTORE_LOCK') === '1') {
    $options['lock'] = true;
}
if (getenv('SCOPESTORE_STRICT') === '0') {
    $options['strict_mode'] = false;
}
session_set_save_handler(new Scopestore\SessionHandler(
    (string) getenv('SCOPESTORE_URL'),
    (string) getenv('SCOPESTORE_APP'),
    (string) getenv('SCOPESTORE_KEY'),
    $options,
), true);

header('Content-Type: application/json');
$do = $_GET['do'] ?? 'count';
$pause = (int) ($_GET['pause'] ?? 0); // milliseconds between the read and the change
usleep((int) ($_GET['delay'] ?? 0) * 1000); // milliseconds before the read

if (!session_start($do === 'dump' ? ['read_and_close' => true] : [])) {
    http_response_code(503);
    echo json_encode(['error' => 'session_start failed']), "\n";
    exit;
}
usleep($pause * 1000);
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
}
echo json_encode($answer), "\n";
