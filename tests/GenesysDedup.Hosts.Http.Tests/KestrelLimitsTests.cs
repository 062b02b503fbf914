using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>Broken or hostile clients against the real Kestrel limits the host sets.</summary>
public sealed class KestrelLimitsTests
{
    private static readonly TimeSpan CutOffBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Post_120HeadersWithLongestBasicCredentials_IsServed()
    {
        // What an EventBridge connection may send: 100 header parameters of up to 512 characters each, beside its own
        // headers and a Basic credential of 512 + 512 characters (here with 2- and 4-byte UTF-8 characters).
        var user = new string('é', 511) + "日";
        var password = string.Concat(Enumerable.Repeat("😀", 256)) + new string('p', 256);
        await using var host = await RunningHost.StartAsync(environment: new Dictionary<string, string>
        {
            ["Http__BasicUser"] = user,
            ["Http__BasicPassword"] = password,
        });
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "events")
        {
            Content = new ByteArrayContent(EventBuilder.UniqueGenesysEvent()) { Headers = { ContentType = HttpTestExtensions.EventBridgeContentType } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        for (var i = 0; i < 100; i++)
        {
            request.Headers.Add($"X-Connection-Parameter-{i:D3}", new string((char)('a' + (i % 26)), 512));
        }

        // With Host, Content-Type, Content-Length and Authorization: 120 in all.
        for (var i = 0; i < 16; i++)
        {
            request.Headers.Add($"X-Target-{i}", "v");
        }

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_100ConnectionQueryParametersOfTheLongestSize_IsServed()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var query = string.Join('&', Enumerable.Range(0, 100).Select(i => $"{i:D3}{new string('k', 509)}={new string((char)('a' + (i % 26)), 512)}"));

        var response = await client.PostAsync(new Uri($"events?{query}", UriKind.Relative),
            new ByteArrayContent(EventBuilder.UniqueGenesysEvent()) { Headers = { ContentType = HttpTestExtensions.EventBridgeContentType } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_OversizedHeaders_Is431()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Padding", new string('p', 130 * 1024));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_TooManyHeaders_Is431()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        for (var i = 0; i < 170; i++)
        {
            request.Headers.Add($"X-H{i}", "v");
        }

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task SlowHeaders_AreCutOff()
    {
        await using var host = await RunningHost.StartAsync();
        using var socket = await ConnectAsync(host);

        await socket.SendAsync("POST /events HTTP/1.1\r\nHost: localhost\r\n"u8.ToArray());

        Assert.True(await ServerClosesOrRejectsAsync(socket), "the server kept a connection whose headers never finished");
    }

    [Fact]
    public async Task SlowBody_IsAnswered408_CountedAndLoggedWithoutAnError()
    {
        await using var host = await RunningHost.StartAsync();
        using var socket = await ConnectAsync(host);

        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "POST /events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"detail\":"));
        var answer = await ReadAnswerAsync(socket);

        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
        await AssertCountedQuietlyAsync(host, "too_slow");
    }

    [Fact]
    public async Task AbortedBody_IsCountedAndLoggedWithoutAnError()
    {
        await using var host = await RunningHost.StartAsync();
        using (var socket = await ConnectAsync(host))
        {
            // Kestrel answers "100 Continue" once the endpoint starts reading the body: only then is the reset mid-body
            // (a reset that overtakes the headers never reaches the endpoint at all).
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                "POST /events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 100", await ReadAnswerAsync(socket), StringComparison.Ordinal);
            await socket.SendAsync("{\"detail\":"u8.ToArray());
            socket.Close(timeout: 0); // a reset, mid-body
        }

        await AssertCountedQuietlyAsync(host, "aborted");
    }

    private static async Task AssertCountedQuietlyAsync(RunningHost host, string reason)
    {
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var pattern = $"genesys_dedup_http_incomplete_bodies_total{{[^}}]*reason=\"{reason}\"[^}}]*}} 1";
        await LoopbackPort.WaitUntilAsync(
            async ct => System.Text.RegularExpressions.Regex.IsMatch(await client.GetStringAsync(new Uri("metrics", UriKind.Relative), ct), pattern),
            CutOffBound,
            () => $"/metrics to count one incomplete body ({reason})");
        Assert.DoesNotContain(host.Output, line => line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Output, line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    private static async Task<string> ReadAnswerAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var backstop = new CancellationTokenSource(CutOffBound);
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, backstop.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static async Task<Socket> ConnectAsync(RunningHost host)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, host.Port);
        return socket;
    }

    // True when the server answers an error status or closes the connection; false if nothing happens within the
    // bound (a generous backstop, not a timing assertion: Kestrel's own timeouts are a few seconds).
    private static async Task<bool> ServerClosesOrRejectsAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var backstop = new CancellationTokenSource(CutOffBound);
        try
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, backstop.Token);
            return read == 0 || Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 4", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return true; // reset by the server
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
