using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace GenesysDedup.Testing;

/// <summary>
/// A TCP proxy on a free loopback port in front of a real server, that can be told to <see cref="Stall"/>: from then
/// on it still reads what either side sends but holds it, so requests reach neither the server nor their answers the
/// client, until <see cref="ResumeAsync"/>. A server made slow without changing it: its connections stay open.
/// </summary>
public sealed class StallingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<TcpClient> _connections = [];
    private readonly ConcurrentBag<Task> _heldWrites = [];
    private readonly TaskCompletionSource _firstHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private volatile TaskCompletionSource _open = Opened();

    private StallingTcpProxy(IPEndPoint upstream)
    {
        _upstream = upstream;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts forwarding to <paramref name="upstreamPort"/> on 127.0.0.1.</summary>
    public static StallingTcpProxy Start(int upstreamPort) => new(new IPEndPoint(IPAddress.Loopback, upstreamPort));

    /// <summary>Completes once some bytes are held after <see cref="Stall"/>: a request was sent and is stuck here.</summary>
    public Task FirstHeld => _firstHeld.Task;

    /// <summary>Holds every byte read from now on, in both directions, until <see cref="ResumeAsync"/>.</summary>
    public void Stall() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Forwards again, and returns once every byte held meanwhile has been passed on.</summary>
    public async Task ResumeAsync()
    {
        _open.TrySetResult();
        await Task.WhenAll(_heldWrites).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _open.TrySetResult();
        _listener.Stop();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
            var server = new TcpClient();
            _connections.Add(client);
            _connections.Add(server);
            try
            {
                await server.ConnectAsync(_upstream, _stopping.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                client.Dispose();
                continue;
            }

            _ = PumpAsync(client, server);
            _ = PumpAsync(server, client);
        }
    }

    /// <summary>Copies one direction; a chunk read while stalled waits at the gate, counted as held until written.</summary>
    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        TaskCompletionSource? held = null;
        try
        {
            var source = from.GetStream();
            var destination = to.GetStream();
            while (true)
            {
                var read = await source.ReadAsync(buffer, _stopping.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                var gate = _open.Task;
                if (!gate.IsCompleted)
                {
                    held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _heldWrites.Add(held.Task);
                    _firstHeld.TrySetResult();
                    await gate.ConfigureAwait(false);
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), _stopping.Token).ConfigureAwait(false);
                held?.TrySetResult();
                held = null;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A side went away or the proxy stopped: the other side is closed below.
        }
        finally
        {
            held?.TrySetResult();
            try
            {
                to.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
