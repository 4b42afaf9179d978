<?php

declare(strict_types=1);

namespace Scopestore;

/**
 * SessionHandler keeps PHP sessions in scopestore:
 *
 *     $handler = new Scopestore\SessionHandler('http://127.0.0.1:8080', 'shop', getenv('SCOPESTORE_KEY'));
 *     session_set_save_handler($handler, true);
 *     session_start();
 *
 * A session id is a scopestore cfid (a lowercase UUID). With session.serialize_handler=php_serialize the
 * session's keys are the scope's data keys, and a write sends only the keys that changed (one PATCH), so
 * that parallel requests changing different keys both keep their change; with the other serialize
 * handlers the data is one string, {"php":"…"}, replaced whole. Every failure to reach scopestore, or an
 * answer other than the expected ones, makes the method return false, so that PHP fails session_start()
 * or reports the failed write, rather than running the request on an empty session.
 *
 * session_regenerate_id(true) rotates the session (POST …/rotate) instead of deleting it, and PHP sends the
 * new cfid's cookie. A request that comes with the cookie of a session rotated since (by PHP, Go or Node) reads
 * the session at its new cfid but is read-only, and never gets the new cookie (session fixation): see
 * "Regenerating and rotating" in the README.
 */
final class SessionHandler implements
    \SessionHandlerInterface,
    \SessionUpdateTimestampHandlerInterface,
    \SessionIdInterface
{
    /** The data key that holds the session as one string when its keys are not stored one by one. */
    public const STRING_KEY = 'php';

    /** The data key that holds the session string in base64 when it is not valid UTF-8 (JSON cannot carry it). */
    public const BINARY_KEY = 'phpBase64';

    /** The data key of the lock, with the option lock: {"owner":"…","until":<unix time>}; never in $_SESSION. */
    public const LOCK_KEY = '__phpLock';

    private const CFID = '/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/';

    /** How many rotations in a row a read or a write follows (as the Node client). */
    private const MAX_HOPS = 3;

    /** Why a request whose read found its session rotated saves nothing (see write). */
    private const READ_ONLY = 'a request that came with the cookie of a session rotated since is read-only: its '
        . 'changes are not saved (session fixation defence)';

    /** Why a request saves nothing to a session that ended after it was rotated. */
    private const ENDED = 'the session was rotated, then ended: this request has no session and its changes are '
        . 'not saved (an ended session is not started again)';

    /** PHP's functions that call a save handler's methods. */
    private const PHP_SESSION_FUNCTIONS = ['session_start', 'session_regenerate_id', 'session_destroy',
        'session_write_close', 'session_commit', 'session_abort', 'session_reset', 'session_gc', 'session_create_id'];

    private const DEFAULTS = [
        'timeout' => 5.0,
        'connect_timeout' => 2.0,
        'format' => 'auto',
        'lock' => false,
        'lock_lease' => 30.0,
        'lock_wait' => 10.0,
        'strict_mode' => true,
        'on_error' => null,
    ];

    private Client $client;
    private float $lockLease;
    private float $lockWait;
    private bool $lock;
    private bool $keysAllowed;
    /** @var \Closure(string): void */
    private \Closure $onError;
    private string $owner;
    private string $lastError = '';

    /**
     * What this request knows of each session it read: whether it exists in scopestore, the form and data
     * it was read in (the base of the next write's diff), its version and whether this request holds its lock.
     *
     * @var array<string, array{new: bool, form: string, data: array<mixed>, version: ?int, locked: bool}>
     */
    private array $sessions = [];

    /**
     * @var array<string, array{0: string, 1: Response}> the GET that validateId made, for the read that follows:
     * the cfid it ended at (another than the id when the id's session was rotated and followed) and its answer
     */
    private array $probes = [];

    /** @var array<string, true> ids made by create_sid in this request: no session has them yet */
    private array $fresh = [];

    /**
     * @var array<string, string> the cfid where a session lives now, by the id PHP knows it by, when another
     * request rotated it after this request read it: this request's writes of the id go there (a write that
     * met 409 rotated, sent again to the new cfid)
     */
    private array $aliases = [];

    /**
     * @var array<string, array{to: string, ended: bool, warned: bool}> the ids whose read found the session
     * rotated (by another request, before this one read it): the cfid the read followed it to, whether the
     * session had ended there (404), and whether the warning that the request's changes are not saved was
     * given. Such a request is read-only: it came with the cookie of a rotated session, which may be an
     * attacker's (session fixation), so it neither writes the session nor gets the new cfid's cookie.
     */
    private array $readOnly = [];

    /** The id create_sid hands out next: the new cfid of the session that session_regenerate_id rotated. */
    private ?string $next = null;

    /**
     * @var array<string, array{new: bool, form: string, data: array<mixed>, version: ?int, locked: bool}|null>
     * what this request knew of a session that session_regenerate_id rotated, by its new cfid, for the read
     * of that id that follows; kept over the close() that PHP makes in between
     */
    private array $rotated = [];

    /**
     * @param string $url scopestore's base URL, e.g. http://127.0.0.1:8080
     * @param string $app the app's name, as in `scopestore app create shop`
     * @param string $key the app's API key
     * @param array{timeout?: float, connect_timeout?: float, format?: string, lock?: bool, lock_lease?: float,
     *     lock_wait?: float, strict_mode?: bool, on_error?: ?callable} $options see the README
     * @throws \InvalidArgumentException on a URL, app name, key or option that cannot work
     */
    public function __construct(string $url, string $app, #[\SensitiveParameter] string $key, array $options = [])
    {
        Client::check($url, $app, $key);
        $unknown = array_diff(array_keys($options), array_keys(self::DEFAULTS));
        if ($unknown !== []) {
            throw new \InvalidArgumentException('unknown option(s) ' . implode(', ', $unknown)
                . ': use ' . implode(', ', array_keys(self::DEFAULTS)));
        }
        $o = $options + self::DEFAULTS;
        foreach (['timeout', 'connect_timeout', 'lock_lease', 'lock_wait'] as $name) {
            if ((!is_int($o[$name]) && !is_float($o[$name])) || $o[$name] <= 0) {
                throw new \InvalidArgumentException("option $name: a number of seconds above 0");
            }
        }
        if (!in_array($o['format'], ['auto', 'string'], true)) {
            throw new \InvalidArgumentException(
                "option format: 'auto' (keys with php_serialize, else a string) or 'string'"
            );
        }
        if ($o['on_error'] !== null && !is_callable($o['on_error'])) {
            throw new \InvalidArgumentException(
                'option on_error: a callable that takes the message, or null for error_log'
            );
        }
        if (!extension_loaded('curl')) {
            throw new \LogicException('scopestore/session needs the curl extension (Debian: apt-get install php-curl)');
        }

        $this->client = new Client($url, $app, $key, (float) $o['timeout'], (float) $o['connect_timeout']);
        $this->keysAllowed = $o['format'] === 'auto';
        $this->lock = (bool) $o['lock'];
        $this->lockLease = (float) $o['lock_lease'];
        $this->lockWait = (float) $o['lock_wait'];
        $this->onError = $o['on_error'] !== null
            ? \Closure::fromCallable($o['on_error'])
            : static function (string $message): void {
                error_log($message);
            };
        $this->owner = bin2hex(random_bytes(8));

        // Without strict mode PHP takes any id a client sends: one that is not a UUID could not be stored
        // (so session_start would fail), and a UUID chosen by an attacker would be created as sent.
        if (
            $o['strict_mode'] && ini_get('session.use_strict_mode') !== '1'
            && (session_status() === PHP_SESSION_ACTIVE || headers_sent()
                || ini_set('session.use_strict_mode', '1') === false)
        ) {
            ($this->onError)('scopestore: session.use_strict_mode is off and could not be turned on (a session was '
                . 'active or output sent before the handler was made): set it in php.ini');
        }
    }

    /** The last failure, as also handed to on_error; empty when nothing failed. */
    public function lastError(): string
    {
        return $this->lastError;
    }

    /** Opens nothing: the first call to scopestore connects. */
    public function open(string $path, string $name): bool
    {
        return true;
    }

    /**
     * Releases a lock this request still holds (after session_abort or read_and_close), and forgets the
     * request's state.
     */
    public function close(): bool
    {
        $ok = true;
        foreach ($this->sessions as $id => $s) {
            if ($s['locked']) {
                $ok = $this->unlock($id) && $ok;
            }
        }
        $this->sessions = $this->probes = $this->fresh = $this->aliases = $this->readOnly = [];
        return $ok;
    }

    /**
     * A new session id: a random (version 4) UUID in lowercase, as scopestore's cfids; or the new cfid of the
     * session that session_regenerate_id(true) rotated in this request, when PHP asks for the id right after it.
     */
    public function create_sid(): string // phpcs:ignore PSR1.Methods.CamelCapsMethodName -- PHP's name
    {
        if ($this->next !== null) {
            $id = $this->next;
            $this->next = null;
            return $id;
        }
        $b = random_bytes(16);
        $b[6] = chr(ord($b[6]) & 0x0f | 0x40);
        $b[8] = chr(ord($b[8]) & 0x3f | 0x80);
        $h = bin2hex($b);
        $id = substr($h, 0, 8) . '-' . substr($h, 8, 4) . '-' . substr($h, 12, 4) . '-'
            . substr($h, 16, 4) . '-' . substr($h, 20);
        $this->fresh[$id] = true;
        return $id;
    }

    /**
     * Reports whether a session with this id exists; PHP's strict mode replaces an id that does not.
     *
     * The GET is kept for the read that follows, so that a request costs one GET. When scopestore cannot
     * be asked, the id is taken as valid, so that the read fails session_start() rather than PHP starting
     * an empty session in its place.
     *
     * The old cfid of a session that another request rotated is valid while the session lives at its new
     * cfid: PHP keeps the old id (and sends no cookie), and the read that follows reads the new cfid, read-only.
     * It is never turned down for the new cfid, whose cookie only the request that rotated may hand out
     * (session fixation). When the session ended after it was rotated, it is not valid: PHP starts a new one.
     */
    public function validateId(string $id): bool
    {
        if (preg_match(self::CFID, $id) !== 1 || isset($this->fresh[$id]) || array_key_exists($id, $this->rotated)) {
            return false;
        }
        $r = $this->client->get($id);
        $cfid = $id;
        if ($r->rotatedTo() !== '') {
            [$cfid, $r] = $this->follow($id, $r);
        }
        $this->probes[$id] = [$cfid, $r];
        return $r->status !== 404;
    }

    /**
     * Loads a session: '' when there is none, false when scopestore failed or answered what cannot be a session.
     *
     * The old cfid of a session that another request rotated is followed to its new cfid (up to three rotations
     * in a row), whose data is read; the request is then read-only (see write) and its cookie stays as it is.
     * When the session ended after it was rotated, the request has no session ('') and nothing is written.
     */
    public function read(string $id): string|false
    {
        unset($this->sessions[$id], $this->aliases[$id], $this->readOnly[$id]);
        $this->next = null;
        if (preg_match(self::CFID, $id) !== 1) {
            return $this->fail("session id '$id' is not a lowercase UUID, so it cannot be a scopestore session: "
                . 'turn on session.use_strict_mode so that PHP replaces it');
        }
        if (array_key_exists($id, $this->rotated)) {
            // session_regenerate_id rotated the session to this id: it goes on with what the request had read.
            $state = $this->rotated[$id];
            unset($this->rotated[$id]);
            if ($state !== null) {
                $this->sessions[$id] = $state;
                return $this->decode($id, $state['data']);
            }
        }
        if (isset($this->fresh[$id])) {
            return $this->begin($id);
        }
        [$cfid, $r] = $this->probes[$id] ?? [$id, null];
        unset($this->probes[$id]);
        if ($r === null || ($r->status !== 200 && $r->status !== 404)) {
            // No GET of validateId's to go on (strict mode off), or it failed: read from the start.
            $cfid = $id;
            $r = $this->client->get($id);
            if ($r->rotatedTo() !== '') {
                [$cfid, $r] = $this->follow($id, $r);
            }
        }
        if ($cfid !== $id) {
            $this->readOnly[$id] = ['to' => $cfid, 'ended' => $r->status === 404, 'warned' => false];
        }
        return $this->lock ? $this->readLocked($id, $cfid, $r) : $this->load($id, $cfid, $r, false);
    }

    /**
     * Saves a session: only the changed keys (one PATCH) where the session is stored by keys, else the
     * whole string (PUT); a session that does not exist yet is created under this id.
     *
     * A session that another request rotated after this one read it gets the change at its new cfid (the
     * 409 rotated names it): this request is the same visitor's, already in flight. A request whose read
     * found the session rotated already is read-only: its write sends nothing and returns true, with a
     * warning to on_error (it came with the old cfid's cookie, which may be an attacker's: session fixation).
     */
    public function write(string $id, string $data): bool
    {
        if (preg_match(self::CFID, $id) !== 1) {
            return $this->fail("session id '$id' is not a lowercase UUID: turn on session.use_strict_mode");
        }
        if (isset($this->readOnly[$id])) {
            if (!$this->readOnly[$id]['ended'] && self::calledBy('session_regenerate_id')) {
                // session_regenerate_id() without true writes the old id, then starts a new id with the
                // session's data and sends its cookie: that would hand this request the session's data
                // under a cookie of its own. Failed, PHP closes the session instead.
                return $this->fail("session_regenerate_id of session $id: " . self::READ_ONLY);
            }
            return $this->dropped($id);
        }
        [$form, $new] = $this->form($data);
        $cfid = $this->aliases[$id] ?? $id;
        for ($hop = 0; ; $hop++) {
            $s = $this->sessions[$cfid] ?? null;
            if ($s === null || $s['new']) {
                // An empty new session is not created: a visitor who stores nothing costs no storage, and
                // its next request starts a new session just the same.
                if ($data === '' || ($form === 'keys' && $new === [])) {
                    return true;
                }
                return $this->create($id, $cfid, $form, $new);
            }
            $version = $s['locked'] ? $s['version'] : null;
            if ($form === 'keys' && $s['form'] === 'keys') {
                $set = [];
                foreach ($new as $k => $v) {
                    if (!array_key_exists($k, $s['data']) || $s['data'][$k] !== $v) {
                        $set[$k] = $v;
                    }
                }
                $unset = array_keys(array_diff_key($s['data'], $new));
                if ($s['locked']) {
                    $unset[] = self::LOCK_KEY;
                }
                if ($set === [] && $unset === []) {
                    return $this->updateTimestamp($id, $data);
                }
                $r = $this->client->patch($cfid, $set, $unset, $version);
            } else {
                $r = $this->client->put($cfid, $new, $version);
            }
            // Rotated by another request since the read: the change goes to the new cfid.
            if ($hop >= self::MAX_HOPS || $r->rotatedTo() === '' || $r->status !== 409) {
                break;
            }
            $cfid = $this->relocate($cfid, $r);
            if ($cfid === '') {
                return $this->fail("write of session $id: it was rotated and its lock lost meanwhile, so this "
                    . 'request\'s changes were not saved');
            }
        }
        if ($r->status === 200) {
            $this->saved($cfid, $form, $new, $r);
            return true;
        }
        if ($r->status === 404) {
            if ($cfid !== $id) {
                return $this->warn("write of session $id: " . self::ENDED);
            }
            // Ended (expired, or destroyed by another request) since the read: saved again, as PHP's
            // files handler would write the file again.
            return $this->create($id, $cfid, $form, $new);
        }
        if ($r->status === 412) {
            return $this->fail("write of session $cfid: its lock was lost (held for more than lock_lease, "
                . 'then taken by another request), so this request\'s changes were not saved');
        }
        return $this->fail("write of session $cfid: " . $r->describe());
    }

    /**
     * Extends a session's expiry when a request did not change it (session.lazy_write), and releases its lock;
     * of a read-only request (see write), sends nothing.
     */
    public function updateTimestamp(string $id, string $data): bool
    {
        if (isset($this->readOnly[$id])) {
            return $this->dropped($id);
        }
        $cfid = $this->aliases[$id] ?? $id;
        $s = $this->sessions[$cfid] ?? null;
        if ($s === null || $s['new']) {
            return $this->write($id, $data);
        }
        if ($s['locked']) {
            return $this->unlock($cfid);
        }
        for ($hop = 0; ; $hop++) {
            $r = $this->client->touch($cfid);
            if ($hop >= self::MAX_HOPS || $r->status !== 409 || $r->rotatedTo() === '') {
                break;
            }
            $cfid = $this->relocate($cfid, $r); // rotated by another request since the read
        }
        if ($r->ok()) {
            return true;
        }
        if ($r->status === 404) {
            if ($cfid !== $id) {
                return $this->warn("touch of session $id: " . self::ENDED);
            }
            [$form, $new] = $this->form($data);
            return $this->create($id, $cfid, $form, $new);
        }
        return $this->fail("touch of session $cfid: " . $r->describe());
    }

    /**
     * Ends a session (session_destroy); one that is already gone is fine. Called by session_regenerate_id(true),
     * it rotates the session instead (see rotate).
     *
     * A request that came with the cookie of a session rotated since (read-only) ends only what its cookie
     * names, the old cfid, never the session at its new cfid: that request may be the one of whoever planted
     * the old cookie, who must not be able to log the visitor out (the Go and Node clients do the same).
     */
    public function destroy(string $id): bool
    {
        if (preg_match(self::CFID, $id) !== 1) {
            return true; // nothing can be stored under it
        }
        if (self::calledBy('session_regenerate_id')) {
            return $this->rotate($id);
        }
        $cfid = isset($this->readOnly[$id]) ? $id : ($this->aliases[$id] ?? $id);
        $this->forget($id);
        unset($this->sessions[$cfid]);
        $r = $this->client->delete($cfid);
        if ($r->ok() || $r->status === 404) {
            return true;
        }
        return $this->fail("destroy of session $cfid: " . $r->describe());
    }

    /**
     * Deletes nothing: scopestore expires sessions itself, after the app's sessionTimeout without a visit,
     * so PHP's session.gc_maxlifetime and gc_probability play no part.
     */
    public function gc(int $max_lifetime): int|false
    {
        return 0;
    }

    /**
     * Rotates the session that session_regenerate_id(true) would destroy: its data moves to a new cfid, which
     * create_sid hands PHP next, and the old cfid answers, read-only, with the new one for scopestore's grace.
     * The request's state (the data it read, its lock) goes along, so that its final write sends only what it
     * changed, to the new cfid. A session that was never stored, or has ended, has nothing to move: PHP's new
     * id starts a session at the write, as before.
     *
     * The request rotates the session it read, at the cfid it read it, and nothing else: a read-only request
     * (it came with the cookie of a session rotated since) cannot rotate, and a session that another request
     * rotated since this one read it is not followed to its new cfid to be rotated there, since either would
     * hand this request a cookie of the session's new cfid (session fixation). Either fails, as a rotation
     * that scopestore refuses: PHP then closes the session without writing it, and close() releases its lock.
     */
    private function rotate(string $id): bool
    {
        if (isset($this->readOnly[$id])) {
            if (!$this->readOnly[$id]['ended']) {
                return $this->fail("rotation of session $id (session_regenerate_id): " . self::READ_ONLY);
            }
            $this->forget($id); // ended: nothing to rotate, and the request read nothing of it
            return true;
        }
        $s = $this->sessions[$id] ?? null;
        if ($s !== null && $s['new']) {
            $this->forget($id);
            return true;
        }
        $r = $this->client->rotate($id);
        if ($r->status === 404) {
            $this->forget($id);
            return true;
        }
        if ($r->status === 409 && $r->rotatedTo() !== '') {
            return $this->fail("rotation of session $id (session_regenerate_id): another request rotated it since "
                . 'this request read it, and a request is not handed the cookie of a session it did not rotate '
                . '(session fixation defence): the session is closed, its changes are not saved');
        }
        $to = $r->body['cfid'] ?? null;
        if ($r->status !== 201 || !is_string($to) || preg_match(self::CFID, $to) !== 1) {
            // The request's state stays, so that the close() PHP makes next releases a lock it holds.
            return $this->fail("rotation of session $id (session_regenerate_id): " . $r->describe());
        }
        $this->forget($id);
        $this->next = $to;
        $this->rotated[$to] = $s === null ? null : array_merge($s, ['version' => $r->version]);
        return true;
    }

    /** Forgets what this request knows of the session of this id. */
    private function forget(string $id): void
    {
        unset($this->sessions[$id], $this->probes[$id], $this->fresh[$id], $this->aliases[$id], $this->readOnly[$id]);
    }

    /**
     * Reports whether the handler is called by this one of PHP's session functions: the nearest of them in
     * the call stack (which shows internal functions too) is that one, also through a handler that wraps this one.
     */
    private static function calledBy(string $function): bool
    {
        foreach (debug_backtrace(DEBUG_BACKTRACE_IGNORE_ARGS) as $frame) {
            if (!isset($frame['class']) && in_array($frame['function'], self::PHP_SESSION_FUNCTIONS, true)) {
                return $frame['function'] === $function;
            }
        }
        return false;
    }

    /**
     * Follows the old cfid of a rotated session to where it lives now, up to MAX_HOPS rotations in a row.
     *
     * @return array{0: string, 1: Response} the cfid and its GET: 404 when the session ended after it was
     *     rotated, a failure when the new cfid could not be read
     */
    private function follow(string $cfid, Response $r): array
    {
        for ($hop = 0; $hop < self::MAX_HOPS && ($to = $r->rotatedTo()) !== ''; $hop++) {
            $cfid = $to;
            $r = $this->client->get($cfid);
            if ($r->status !== 200) {
                break;
            }
        }
        return [$cfid, $r];
    }

    /**
     * Moves what this request knows of a session to the cfid that a 409 rotated names, where its writes go
     * from then on; returns that cfid, or '' when the request held the session's lock and does not hold it
     * there (the lock went along with the data, but lapsed and was taken meanwhile). The visitor's cookie
     * stays: only the request that rotated the session hands out the new cfid's cookie.
     */
    private function relocate(string $cfid, Response $r): string
    {
        $to = $r->rotatedTo();
        $s = $this->sessions[$cfid] ?? null;
        unset($this->sessions[$cfid]);
        if ($s !== null && $s['locked']) {
            $there = $this->client->get($to);
            $lock = $there->status === 200 ? ($there->data()[self::LOCK_KEY] ?? null) : null;
            if (!is_array($lock) || ($lock['owner'] ?? '') !== $this->owner) {
                return '';
            }
            $s['version'] = $there->version;
        }
        if ($s !== null) {
            $this->sessions[$to] = $s;
        }
        foreach ($this->aliases as $from => $at) {
            if ($at === $cfid) {
                $this->aliases[$from] = $to;
            }
        }
        $this->aliases[$cfid] = $to;
        return $to;
    }

    /**
     * Takes the session's lock (option lock), waiting while another request holds it, then reads it. A
     * read-only request (its read found the session rotated, before or while it waited) waits for the lock
     * as well, so that it reads what the request holding it wrote, but does not take it.
     */
    private function readLocked(string $id, string $cfid, Response $r): string|false
    {
        $deadline = microtime(true) + $this->lockWait;
        $pause = 10_000;
        $hops = 0;
        while (true) {
            if ($r->rotatedTo() !== '' && $hops < self::MAX_HOPS) {
                // Rotated by another request before this one could take the lock: read-only, at the new cfid.
                $hops++;
                $cfid = $r->rotatedTo();
                $r = $this->client->get($cfid);
                $this->readOnly[$id] = ['to' => $cfid, 'ended' => $r->status === 404, 'warned' => false];
                continue;
            }
            if ($r->status !== 200) {
                return $this->load($id, $cfid, $r, false); // 404: a new session, nothing to lock; else a failure
            }
            $lock = $r->data()[self::LOCK_KEY] ?? null;
            $now = microtime(true);
            if (
                is_array($lock) && ($lock['owner'] ?? '') !== $this->owner
                && is_numeric($lock['until'] ?? null) && (float) $lock['until'] > $now
            ) {
                if ($now >= $deadline) {
                    return $this->fail(sprintf('read of session %s: another request has held its lock for more '
                        . 'than lock_wait (%gs)', $cfid, $this->lockWait));
                }
                usleep($pause);
                $pause = min($pause * 2, 200_000);
            } elseif (isset($this->readOnly[$id])) {
                return $this->load($id, $cfid, $r, false);
            } else {
                $taken = $this->client->patch($cfid, [self::LOCK_KEY => [
                    'owner' => $this->owner,
                    'until' => round($now + $this->lockLease, 3),
                ]], [], $r->version);
                if ($taken->status === 200) {
                    return $this->load($id, $cfid, $taken, true);
                }
                if (
                    $taken->status !== 412 && $taken->status !== 404
                    && ($taken->rotatedTo() === '' || $hops >= self::MAX_HOPS)
                ) {
                    return $this->fail("lock of session $cfid: " . $taken->describe());
                }
                // Another request changed, ended or rotated the session in between: look again.
            }
            $r = $this->client->get($cfid);
        }
    }

    /**
     * Turns a GET's (or the locking PATCH's) answer for the session of the id PHP knows, read at $cfid, into
     * the session string PHP decodes.
     */
    private function load(string $id, string $cfid, Response $r, bool $locked): string|false
    {
        if ($r->status === 404) {
            // A new session; but a session that ended after it was rotated is no session at all: the request
            // is read-only, and neither cfid is created again.
            return isset($this->readOnly[$id]) ? '' : $this->begin($cfid);
        }
        if ($r->status !== 200) {
            return $this->fail("read of session $cfid: " . $r->describe());
        }
        if (!is_array($r->body['data'] ?? null)) {
            return $this->fail("read of session $cfid: the answer is not a scope (no data object)");
        }
        $data = $r->data();
        unset($data[self::LOCK_KEY]);
        $this->sessions[$cfid] = self::state(false, 'keys', $data, $r->version, $locked);
        return $this->decode($cfid, $data);
    }

    /**
     * The session string PHP decodes from a session's data: the string itself where it is stored as one (and
     * the session's form is noted as such), else the keys in the format of session.serialize_handler.
     *
     * @param array<mixed> $data
     */
    private function decode(string $id, array $data): string|false
    {
        if (count($data) === 1 && is_string($data[self::STRING_KEY] ?? null)) {
            $this->sessions[$id]['form'] = 'string';
            return $data[self::STRING_KEY];
        }
        if (count($data) === 1 && is_string($data[self::BINARY_KEY] ?? null)) {
            $this->sessions[$id]['form'] = 'string';
            $decoded = base64_decode($data[self::BINARY_KEY], true);
            if ($decoded === false) {
                return $this->fail("read of session $id: " . self::BINARY_KEY . ' is not base64');
            }
            return $decoded;
        }
        return $this->encode($id, $data);
    }

    /** Records a session that does not exist in scopestore yet, and hands PHP an empty one. */
    private function begin(string $id): string
    {
        $this->sessions[$id] = self::state(true, 'keys', [], null, false);
        return '';
    }

    /**
     * Writes data stored by keys (by this handler with php_serialize, or by another client of the API) in
     * the format of session.serialize_handler.
     *
     * @param array<mixed> $data
     */
    private function encode(string $id, array $data): string|false
    {
        $handler = (string) ini_get('session.serialize_handler');
        if ($handler === 'php_serialize') {
            return serialize($data);
        }
        if ($handler !== 'php' && $handler !== 'php_binary') {
            return $this->fail("read of session $id: its data is stored by keys, which this handler can hand to "
                . "session.serialize_handler php_serialize, php or php_binary, not $handler");
        }
        $out = '';
        foreach ($data as $k => $v) {
            $k = (string) $k;
            if ($handler === 'php') {
                if (str_contains($k, '|') || str_contains($k, '!')) {
                    ($this->onError)("scopestore: session $id: key '$k' left out: "
                        . "serialize_handler php cannot hold '|' or '!' in a key");
                    continue;
                }
                $out .= $k . '|' . serialize($v);
            } elseif (strlen($k) <= 127) {
                $out .= chr(strlen($k)) . $k . serialize($v);
            }
        }
        return $out;
    }

    /**
     * Chooses how a session string is stored: by keys when session.serialize_handler is php_serialize and
     * JSON carries every value unchanged (no objects, no binary strings), else as one string.
     *
     * @return array{0: string, 1: array<mixed>} the form ('keys' or 'string') and the data to store
     */
    private function form(string $data): array
    {
        if ($this->keysAllowed && ini_get('session.serialize_handler') === 'php_serialize') {
            $keys = $data === '' ? [] : @unserialize($data, ['allowed_classes' => false]);
            if (
                is_array($keys) && self::faithful($keys) && !array_key_exists(self::LOCK_KEY, $keys)
                && !(count($keys) === 1
                    && (array_key_exists(self::STRING_KEY, $keys) || array_key_exists(self::BINARY_KEY, $keys)))
            ) {
                return ['keys', $keys];
            }
        }
        if (preg_match('//u', $data) === 1) {
            return ['string', [self::STRING_KEY => $data]];
        }
        return ['string', [self::BINARY_KEY => base64_encode($data)]];
    }

    /**
     * Reports whether JSON gives these values back exactly as they are.
     *
     * @param array<mixed> $keys
     */
    private static function faithful(array $keys): bool
    {
        try {
            return json_decode(Client::encodeObject($keys), true, 512, JSON_THROW_ON_ERROR) === $keys;
        } catch (\JsonException) {
            return false;
        }
    }

    /**
     * Creates the session of the id PHP knows under $cfid; when a live session got the cfid in the meantime
     * (412), the data goes to it: the keys as a PATCH, so that both requests' keys survive, or the string as a
     * PUT. When that session was rotated (409 rotated), the request never read it, so nothing shows that it
     * started before the rotation: it is read-only, and its data is dropped with a warning (see write).
     *
     * @param array<mixed> $data
     */
    private function create(string $id, string $cfid, string $form, array $data): bool
    {
        $r = $this->client->create($cfid, $data);
        if ($r->status === 412) {
            $r = $form === 'keys' && $data !== []
                ? $this->client->patch($cfid, $data, [])
                : $this->client->put($cfid, $data);
        }
        if ($r->status === 200 || $r->status === 201) {
            $this->saved($cfid, $form, $data, $r);
            return true;
        }
        if ($r->status === 409 && $r->rotatedTo() !== '') {
            $this->readOnly[$id] = ['to' => $r->rotatedTo(), 'ended' => false, 'warned' => false];
            unset($this->sessions[$cfid], $this->aliases[$id]);
            return $this->dropped($id);
        }
        return $this->fail("create of session $cfid: " . $r->describe());
    }

    /**
     * Records what a write left in scopestore, the base of a later write in the same request.
     *
     * @param array<mixed> $data
     */
    private function saved(string $id, string $form, array $data, Response $r): void
    {
        $this->sessions[$id] = self::state(false, $form, $data, $r->version, false);
    }

    /**
     * @param array<mixed> $data
     * @return array{new: bool, form: string, data: array<mixed>, version: ?int, locked: bool}
     */
    private static function state(bool $new, string $form, array $data, ?int $version, bool $locked): array
    {
        return ['new' => $new, 'form' => $form, 'data' => $data, 'version' => $version, 'locked' => $locked];
    }

    /** Releases the lock this request holds, unless it was lost to another request in the meantime. */
    private function unlock(string $id): bool
    {
        for ($hop = 0; ; $hop++) {
            $r = $this->client->patch($id, [], [self::LOCK_KEY], $this->sessions[$id]['version']);
            if ($hop >= self::MAX_HOPS || $r->status !== 409 || $r->rotatedTo() === '') {
                break;
            }
            // Rotated by another request meanwhile: the lock went along with the data, and is released there.
            $id = $this->relocate($id, $r);
            if ($id === '') {
                return true; // lapsed and taken there: not ours to release any more
            }
        }
        $this->sessions[$id]['locked'] = false;
        if ($r->ok()) {
            $this->sessions[$id]['version'] = $r->version;
            return true;
        }
        if ($r->status === 412 || $r->status === 404) {
            return true; // taken over after the lease, or ended: not ours to release any more
        }
        return $this->fail("unlock of session $id: " . $r->describe());
    }

    /**
     * The write of a read-only request (see write): sends nothing, warns once, and returns true: the request
     * has not failed, its changes are not saved on purpose.
     */
    private function dropped(string $id): bool
    {
        if ($this->readOnly[$id]['warned']) {
            return true;
        }
        $this->readOnly[$id]['warned'] = true;
        return $this->warn("write of session $id: " . ($this->readOnly[$id]['ended'] ? self::ENDED : self::READ_ONLY));
    }

    /**
     * Hands the message to on_error, as a failure's, and returns true: for changes dropped on purpose, which
     * the page may still want to know of (lastError).
     */
    private function warn(string $message): bool
    {
        $this->fail($message);
        return true;
    }

    /** Hands the message to on_error and returns false, the failure value of PHP's session handlers. */
    private function fail(string $message): bool
    {
        $this->lastError = 'scopestore: ' . $message;
        ($this->onError)($this->lastError);
        return false;
    }
}
