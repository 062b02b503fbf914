using System.Net;
using System.Net.Sockets;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// A client that opens idle sockets by the thousand cannot take the host down: past the connection limit Kestrel
/// closes new connections at once, an idle connection is closed after the keep-alive timeout, and afterwards the host
/// serves as before. Against the built host on real Kestrel.
/// </summary>
public sealed class ConnectionFloodTests
{
    // A bound on waiting, not an expectation of speed: every close asserted here comes from a limit far below it.
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task IdleFlood_PastTheDefaultLimit_ExtraConnectionsAreClosed_AndTheHostServesAfterwards()
    {
        await using var host = await RunningHost.StartAsync();
        const int Flood = 1024 + 150;

        await using var flood = await IdleSockets.OpenAsync(host.Port, Flood);
        await flood.WaitUntilClosedByHostAsync(atLeast: Flood - 1024, WaitBound);
        var stillOpen = flood.OpenCount;
        await flood.DisposeAsync();

        Assert.InRange(stillOpen, 1, 1024);
        await AssertServesAsync(host);
    }

    [Fact]
    public async Task IdleFlood_WithKestrelsOwnLimitKey_HoldsThatManyAndClosesTheRest()
    {
        await using var host = await RunningHost.StartAsync(environment: new Dictionary<string, string>
        {
            ["Kestrel__Limits__MaxConcurrentConnections"] = "40",
            ["Kestrel__Limits__KeepAliveTimeout"] = "00:05:00",
        });

        await using var flood = await IdleSockets.OpenAsync(host.Port, 400);
        await flood.WaitUntilClosedByHostAsync(atLeast: 360, WaitBound);

        // With a 5-minute keep-alive the 40 accepted sockets stay open: only the limit closed the others.
        Assert.Equal(40, flood.OpenCount);
        await flood.DisposeAsync();
        await AssertServesAsync(host);
    }

    [Fact]
    public async Task IdleSockets_AreClosedByTheHostAfterTheKeepAliveTimeout()
    {
        await using var host = await RunningHost.StartAsync(environment: new Dictionary<string, string>
        {
            ["Kestrel__Limits__KeepAliveTimeout"] = "00:00:02",
        });

        await using var flood = await IdleSockets.OpenAsync(host.Port, 300);
        await flood.WaitUntilClosedByHostAsync(atLeast: 300, WaitBound);

        Assert.Equal(0, flood.OpenCount);
        await AssertServesAsync(host);
    }

    private static async Task AssertServesAsync(RunningHost host)
    {
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("health/live", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostEventAsync(EventBuilder.UniqueGenesysEvent())).StatusCode);
    }

    /// <summary>Connected sockets that never send a byte, each watched for the host closing it.</summary>
    private sealed class IdleSockets : IAsyncDisposable
    {
        private readonly List<Socket> _sockets;
        private readonly Task[] _closedByHost;

        private IdleSockets(List<Socket> sockets)
        {
            _sockets = sockets;
            _closedByHost = [.. sockets.Select(WhenClosedByHostAsync)];
        }

        public int OpenCount => _closedByHost.Count(t => !t.IsCompleted);

        public static async Task<IdleSockets> OpenAsync(int port, int count)
        {
            var sockets = new List<Socket>(count);
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                sockets.Add(socket);
            }

            return new IdleSockets(sockets);
        }

        public async Task WaitUntilClosedByHostAsync(int atLeast, TimeSpan bound) =>
            await LoopbackPort.WaitUntilAsync(
                _ => Task.FromResult(_closedByHost.Count(t => t.IsCompleted) >= atLeast),
                bound,
                () => $"the host to close {atLeast} idle sockets (closed: {_closedByHost.Count(t => t.IsCompleted)})");

        // A read returns 0 (FIN) or fails (RST) only when the host closes the connection: the client never sends.
        private static async Task WhenClosedByHostAsync(Socket socket)
        {
            var buffer = new byte[1];
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            await Task.WhenAll(_closedByHost);
        }
    }
}
