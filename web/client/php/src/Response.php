<?php

declare(strict_types=1);

namespace Scopestore;

/**
 * One answer of scopestore's runtime API, or a request that got no answer (status 0).
 */
final class Response
{
    /**
     * @param int $status HTTP status, or 0 when no answer came (connection refused, timeout)
     * @param int|null $version the scope's version from the ETag header, when the answer carries one
     * @param array<mixed>|null $body the JSON body decoded, null when there is none or it is not JSON
     * @param string $failure why the request got no answer (curl's error), empty otherwise
     * @param int|null $retryAfter seconds to wait before trying again, from a 503's Retry-After header
     */
    public function __construct(
        public readonly int $status,
        public readonly ?int $version = null,
        public readonly ?array $body = null,
        public readonly string $failure = '',
        public readonly ?int $retryAfter = null,
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
