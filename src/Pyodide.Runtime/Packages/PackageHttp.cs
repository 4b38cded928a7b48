using System.Net;

namespace Pyodide.Packages;

/// <summary>HTTP GETs for the package loader: one shared client, a deadline per
/// request (headers and body), redirects followed only where a
/// <see cref="PackageHttp.Policy"/> allows, every failure an IO
/// <see cref="PyodideException"/> naming the URL.</summary>
internal static class PackageHttp
{
    /// <summary>How long one request (connection, headers and the whole body) may take.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(120);

    private const int MaxRedirects = 10;

    /// <summary>What a request may do: its deadline, which URLs a redirect may lead to
    /// (null: any http(s) URL that is not a downgrade from https), and how large a
    /// downloaded file may be.</summary>
    public sealed record Policy(TimeSpan Timeout, Func<Uri, bool>? MayRedirectTo = null, long MaxBytes = long.MaxValue);

    public static readonly Policy Default = new(RequestTimeout);

    /// <summary>A fetched page: the URL it finally came from and its media type.</summary>
    public sealed record Page(Uri Url, string ContentType, byte[] Body);

    // Redirects are followed by hand, so that each hop is checked against the policy.
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        AllowAutoRedirect = false,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the per-request deadline below covers the body too
    };

    /// <summary>The body of <paramref name="url"/>, at most <paramref name="maxBytes"/>.</summary>
    public static byte[] GetBytes(Uri url, long maxBytes) =>
        Get(url, null, null, maxBytes, Default, notFoundIsNull: false)!.Body;

    /// <summary>Copies the body of <paramref name="url"/> into <paramref name="destination"/>.</summary>
    public static void Download(Uri url, Stream destination, long maxBytes = long.MaxValue, Policy? policy = null) =>
        Get(url, null, destination, maxBytes, policy ?? Default, notFoundIsNull: false);

    /// <summary>An index page, asking for <paramref name="accept"/>; null when the server
    /// answers 404 (no such project), or (with <paramref name="oversizeIsNull"/>) when the
    /// page is larger than <paramref name="maxBytes"/>.</summary>
    public static Page? GetPage(Uri url, string accept, long maxBytes, Policy policy, bool oversizeIsNull = false) =>
        Get(url, accept, null, maxBytes, policy, notFoundIsNull: true, oversizeIsNull);

    private sealed class TooLargeException(string message) : Exception(message);

    /// <summary>GET with the policy's deadline: the body goes to <paramref name="destination"/>,
    /// or into the returned page when it is null.</summary>
    private static Page? Get(Uri url, string? accept, Stream? destination, long maxBytes, Policy policy, bool notFoundIsNull,
                             bool oversizeIsNull = false)
    {
        using var deadline = new CancellationTokenSource(policy.Timeout);
        try
        {
            return GetAsync(url, accept, destination, maxBytes, policy, notFoundIsNull, deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url} timed out after {policy.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url} failed: {Describe(e)}", e);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url} failed while reading the response: {e.Message}", e);
        }
        catch (TooLargeException) when (oversizeIsNull)
        {
            return null;
        }
        catch (TooLargeException e)
        {
            throw new PyodideException(PyodideErrorKind.IO, e.Message);
        }
    }

    private static async Task<Page?> GetAsync(Uri url, string? accept, Stream? destination, long maxBytes, Policy policy,
                                             bool notFoundIsNull, CancellationToken cancel)
    {
        Uri current = url;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            if (accept != null) request.Headers.TryAddWithoutValidation("Accept", accept);
            using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                var next = new Uri(current, location);
                bool allowed = next.Scheme is "http" or "https" && !(current.Scheme == "https" && next.Scheme == "http")
                               && (policy.MayRedirectTo?.Invoke(next) ?? true);
                if (!allowed)
                    throw new PyodideException(PyodideErrorKind.IO, $"GET {url}: redirected to {next}, which is not allowed here; refused");
                if (hop >= MaxRedirects)
                    throw new PyodideException(PyodideErrorKind.IO, $"GET {url}: more than {MaxRedirects} redirects");
                current = next;
                continue;
            }
            if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound) return null;
            if (!response.IsSuccessStatusCode)
                throw new PyodideException(PyodideErrorKind.IO, $"GET {current}: HTTP {status} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength > maxBytes)
                throw new TooLargeException($"GET {current}: the response is larger than {maxBytes} bytes");
            using var buffer = destination == null ? new MemoryStream() : null;
            var sink = destination ?? buffer!;
            await using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
            byte[] chunk = new byte[81920];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > maxBytes)
                    throw new TooLargeException($"GET {current}: the response is larger than {maxBytes} bytes");
                await sink.WriteAsync(chunk.AsMemory(0, read), cancel).ConfigureAwait(false);
            }
            return new Page(current, response.Content.Headers.ContentType?.MediaType ?? "", buffer?.ToArray() ?? []);
        }
    }

    private static string Describe(Exception e)
    {
        // "Connection refused (127.0.0.1:1)" is in the inner SocketException.
        string message = e.Message;
        for (var inner = e.InnerException; inner != null; inner = inner.InnerException)
            if (!message.Contains(inner.Message, StringComparison.Ordinal)) message += ": " + inner.Message;
        return message;
    }
}
