using System.Net;

namespace Pyodide.Packages;

/// <summary>HTTP GETs for the package loader: one shared client, a deadline per
/// request (headers and body), every failure an IO <see cref="PyodideException"/>
/// naming the URL.</summary>
internal static class PackageHttp
{
    /// <summary>How long one request (connection, headers and the whole body) may take.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(120);

    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the per-request deadline below covers the body too
    };

    /// <summary>The body of <paramref name="url"/>, at most <paramref name="maxBytes"/>.</summary>
    public static byte[] GetBytes(Uri url, long maxBytes)
    {
        using var buffer = new MemoryStream();
        Download(url, buffer, maxBytes);
        return buffer.ToArray();
    }

    /// <summary>Copies the body of <paramref name="url"/> into <paramref name="destination"/>.</summary>
    public static void Download(Uri url, Stream destination, long maxBytes = long.MaxValue)
    {
        using var deadline = new CancellationTokenSource(RequestTimeout);
        try
        {
            DownloadAsync(url, destination, maxBytes, deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url} timed out after {RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url} failed: {Describe(e)}", e);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url} failed while reading the response: {e.Message}", e);
        }
    }

    private static async Task DownloadAsync(Uri url, Stream destination, long maxBytes, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        if (response.Content.Headers.ContentLength > maxBytes)
            throw new PyodideException(PyodideErrorKind.IO, $"GET {url}: the response is larger than {maxBytes} bytes");
        await using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        byte[] chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > maxBytes)
                throw new PyodideException(PyodideErrorKind.IO, $"GET {url}: the response is larger than {maxBytes} bytes");
            await destination.WriteAsync(chunk.AsMemory(0, read), cancel).ConfigureAwait(false);
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
