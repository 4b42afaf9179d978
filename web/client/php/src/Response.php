<?php

declare(strict_types=1);

namespace Scopestore;

/**
 * One answer of scopestore's runtime API, or a request that got no answer (status 0).
 */
final class Response
{
    private const CFID = '/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/';

    /**
     * @param int $status HTTP status, or 0 when no answer came (connection refused, timeout)
     * @param int|null $version the scope's version from the ETag header, when the answer carries one
     * @param array<mixed>|null $body the JSON body decoded, null when there is none or it is not JSON
     * @param string $failure why the request got no answer (curl's error), empty otherwise
     * @param int|null $retryAfter seconds to wait before trying again, from a 503's Retry-After header
     * @param string|null $location the Location header: the new session of a rotate, or of a 409 rotated
     */
    public function __construct(
        public readonly int $status,
        public readonly ?int $version = null,
        public readonly ?array $body = null,
        public readonly string $failure = '',
        public readonly ?int $retryAfter = null,
        public readonly ?string $location = null,
    ) {
    }

    /** Reports whether the status is 2xx. */
    public function ok(): bool
    {
        return $this->status >= 200 && $this->status < 300;
    }

    /** The error code of a failed answer (not_found, precondition_failed, unavailable, …), empty if none. */
    public function code(): string
    {
        $code = $this->body['error']['code'] ?? '';
        return is_string($code) ? $code : '';
    }

    /**
     * The cfid a rotated session moved to (POST …/rotate), as the answers about its old cfid name it during the
     * grace: "rotatedTo" in a GET's scope, the Location of a change refused with 409 rotated; empty otherwise.
     */
    public function rotatedTo(): string
    {
        if ($this->status === 200) {
            $to = $this->body['rotatedTo'] ?? '';
        } elseif ($this->status === 409 && $this->code() === 'rotated') {
            $to = basename((string) parse_url((string) $this->location, PHP_URL_PATH));
        } else {
            return '';
        }
        return is_string($to) && preg_match(self::CFID, $to) === 1 ? $to : '';
    }

    /** Says what went wrong, for a log line: the transport failure or the status with scopestore's message. */
    public function describe(): string
    {
        if ($this->status === 0) {
            return 'no answer: ' . $this->failure;
        }
        $message = $this->body['error']['message'] ?? '';
        if (!is_string($message) || $message === '') {
            return 'HTTP ' . $this->status;
        }
        return 'HTTP ' . $this->status . ' ' . $this->code() . ': ' . $message;
    }

    /**
     * The scope's data object, decoded to an array; empty when the answer has none.
     *
     * @return array<mixed>
     */
    public function data(): array
    {
        $data = $this->body['data'] ?? [];
        return is_array($data) ? $data : [];
    }
}
