<?php

declare(strict_types=1);

namespace Scopestore;

/**
 * Client makes the HTTP calls of scopestore's runtime API on one app's sessions.
 *
 * One curl handle serves all the calls of a PHP request, so that a read and the write that follows share a
 * connection. Nothing here retries: a session handler that waited for a storage to come back would hold
 * the user's request for as long, so a failure is handed back at once as a Response with its reason.
 */
final class Client
{
    /** JSON flags: 1.0 stays a float, '/' and non-ASCII text stay readable in the console. */
    public const JSON_FLAGS = JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
        | JSON_THROW_ON_ERROR;

    private ?\CurlHandle $curl = null;
    private string $sessions;

    /**
     * @param string $url the server's base URL, e.g. http://127.0.0.1:8080
     * @param string $app the app's name
     * @param string $key the app's API key
     * @param float $timeout seconds one call may take in all
     * @param float $connectTimeout seconds to connect
     */
    public function __construct(
        string $url,
        string $app,
        #[\SensitiveParameter] private readonly string $key,
        private readonly float $timeout,
        private readonly float $connectTimeout,
    ) {
        $this->sessions = rtrim($url, '/') . '/api/v1/apps/' . rawurlencode($app) . '/sessions/';
    }

    /** Closes the connection. */
    public function __destruct()
    {
        if ($this->curl !== null) {
            curl_close($this->curl);
        }
    }

    /** Loads a session: a visit, which extends its expiry. */
    public function get(string $cfid): Response
    {
        return $this->request('GET', $cfid, null);
    }

    /**
     * Creates a session with the cfid chosen here; 412 when a live session already has it.
     *
     * @param array<mixed> $data
     */
    public function create(string $cfid, array $data): Response
    {
        return $this->request('PUT', $cfid, '{"data":' . self::encodeObject($data) . '}', ['If-None-Match: *']);
    }

    /**
     * Replaces a session's data; with $ifVersion, only if the session is still at that version (else 412).
     *
     * @param array<mixed> $data
     */
    public function put(string $cfid, array $data, ?int $ifVersion = null): Response
    {
        return $this->request('PUT', $cfid, '{"data":' . self::encodeObject($data) . '}', self::ifMatch($ifVersion));
    }

    /**
     * Sets and removes keys of a session's data in one atomic change; with $ifVersion, only if the session is
     * still at that version (else 412).
     *
     * @param array<mixed> $set
     * @param list<string|int> $unset
     */
    public function patch(string $cfid, array $set, array $unset, ?int $ifVersion = null): Response
    {
        $parts = [];
        if ($set !== []) {
            $parts[] = '"set":' . self::encodeObject($set);
        }
        if ($unset !== []) {
            $parts[] = '"unset":' . json_encode(array_map('strval', array_values($unset)), self::JSON_FLAGS);
        }
        return $this->request('PATCH', $cfid, '{' . implode(',', $parts) . '}', self::ifMatch($ifVersion));
    }

    /** Ends a session; 404 when there was none. */
    public function delete(string $cfid): Response
    {
        return $this->request('DELETE', $cfid, null);
    }

    /** Extends a session's expiry without reading it. */
    public function touch(string $cfid): Response
    {
        return $this->request('POST', $cfid . '/touch', null);
    }

    /**
     * Encodes an array as a JSON object, also when its keys are 0, 1, … (which json_encode makes a list).
     *
     * @param array<mixed> $a
     * @throws \JsonException when a value cannot be JSON (invalid UTF-8, INF, NAN)
     */
    public static function encodeObject(array $a): string
    {
        $members = [];
        foreach ($a as $k => $v) {
            $members[] = json_encode((string) $k, self::JSON_FLAGS) . ':' . json_encode($v, self::JSON_FLAGS);
        }
        return '{' . implode(',', $members) . '}';
    }

    /** @return list<string> */
    private static function ifMatch(?int $version): array
    {
        return $version === null ? [] : ['If-Match: "' . $version . '"'];
    }

    /** @param list<string> $headers */
    private function request(string $method, string $path, ?string $body, array $headers = []): Response
    {
        if ($this->curl === null) {
            $this->curl = curl_init();
        } else {
            curl_reset($this->curl); // keeps the connection
        }
        $etag = null;
        $options = [
            CURLOPT_URL => $this->sessions . $path,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => (int) ($this->timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int) ($this->connectTimeout * 1000),
            CURLOPT_HTTPHEADER => array_merge([
                'Authorization: Bearer ' . $this->key,
                'Accept: application/json',
                'Expect:', // no 100-continue round trip for bodies over 1 KiB
            ], $body === null ? [] : ['Content-Type: application/json'], $headers),
            CURLOPT_HEADERFUNCTION => static function ($curl, string $line) use (&$etag): int {
                if (preg_match('/^ETag:\s*(?:W\/)?"?(\d+)"?\s*$/i', $line, $m) === 1) {
                    $etag = (int) $m[1];
                }
                return strlen($line);
            },
        ];
        if ($body !== null) {
            $options[CURLOPT_POSTFIELDS] = $body;
        } elseif ($method === 'POST') {
            $options[CURLOPT_POSTFIELDS] = '';
        }
        curl_setopt_array($this->curl, $options);
        $answer = curl_exec($this->curl);
        if (!is_string($answer)) {
            $call = $method . ' ' . $this->sessions . $path;
            return new Response(0, null, null, curl_error($this->curl) . ' (' . $call . ')');
        }
        $status = (int) curl_getinfo($this->curl, CURLINFO_RESPONSE_CODE);
        // Deeper than json_decode's default of 512: data that other clients stored is read whole.
        $decoded = $answer === '' ? null : json_decode($answer, true, 100_000);
        return new Response($status, $etag, is_array($decoded) ? $decoded : null);
    }
}
