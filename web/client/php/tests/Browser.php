<?php

declare(strict_types=1);

namespace Scopestore\Tests;

/**
 * Browser sends requests as one user agent would: the session cookie PHP set comes back on the next request,
 * whichever server it goes to.
 */
final class Browser
{
    /** The session id the servers gave this browser, empty before the first answer that set one. */
    public string $sessionId = '';

    public function __construct(private readonly string $cookieName = 'PHPSESSID')
    {
    }

    /**
     * Sends one GET.
     *
     * @return array{status: int, body: string}
     */
    public function get(string $url): array
    {
        return self::parallel([[$this, $url]])[0];
    }

    /**
     * Sends several GETs at once, each with its browser's cookie, and waits for all the answers.
     *
     * @param list<array{0: Browser, 1: string}> $requests
     * @return list<array{status: int, body: string}>
     */
    public static function parallel(array $requests): array
    {
        $multi = curl_multi_init();
        $handles = [];
        foreach ($requests as [$browser, $url]) {
            $h = curl_init($url);
            $cookie = $browser->sessionId === '' ? [] : ['Cookie: ' . $browser->cookieName . '=' . $browser->sessionId];
            $setCookie = '/^Set-Cookie:\s*' . preg_quote($browser->cookieName, '/') . '=([^;\r\n]*)/i';
            curl_setopt_array($h, [
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_TIMEOUT => 30,
                CURLOPT_HTTPHEADER => $cookie,
                CURLOPT_HEADERFUNCTION => static function ($h, string $line) use ($browser, $setCookie): int {
                    if (preg_match($setCookie, $line, $m) === 1) {
                        $browser->sessionId = urldecode($m[1]);
                    }
                    return strlen($line);
                },
            ]);
            curl_multi_add_handle($multi, $h);
            $handles[] = $h;
        }
        do {
            $status = curl_multi_exec($multi, $running);
            if ($running > 0) {
                curl_multi_select($multi, 0.1);
            }
        } while ($running > 0 && $status === CURLM_OK);
        $answers = [];
        foreach ($handles as $h) {
            $answers[] = [
                'status' => (int) curl_getinfo($h, CURLINFO_RESPONSE_CODE),
                'body' => (string) curl_multi_getcontent($h),
            ];
            curl_multi_remove_handle($multi, $h);
            curl_close($h);
        }
        curl_multi_close($multi);
        return $answers;
    }
}
