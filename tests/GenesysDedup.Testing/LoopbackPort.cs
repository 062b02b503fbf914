using System.Net;
using System.Net.Sockets;

namespace GenesysDedup.Testing;

/// <summary>Loopback ports for servers the tests start, and a bounded wait until one answers.</summary>
public static class LoopbackPort
{
    private static readonly HashSet<int> _handedOut = [];

    /// <summary>
    /// A port that was free a moment ago on 127.0.0.1 (the OS picks it; nothing holds it afterwards). Never the same
    /// port twice in one test process, so a stopped server's port is not given to another server before it restarts.
    /// </summary>
    public static int GetFree()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (_handedOut)
            {
                if (_handedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>
    /// Polls <paramref name="answers"/> until it returns true, failing after <paramref name="timeout"/> with
    /// <paramref name="describe"/>'s account of why (e.g. the server's last output). Probe errors count as "not yet".
    /// </summary>
    public static async Task WaitUntilAsync(Func<CancellationToken, Task<bool>> answers, TimeSpan timeout, Func<string> describe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(describe);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            try
            {
                if (await answers(deadline.Token))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                // not answering yet
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Gave up after {timeout.TotalSeconds:F0} s: {describe()}");
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(25), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // deadline reached: one last probe above reports it
            }
        }
    }
}
