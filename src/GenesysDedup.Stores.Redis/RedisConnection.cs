using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Redis;

/// <summary>
/// The process's one connection, made with <c>ConnectAsync</c> the first time it is needed: while the host starts (this
/// is a hosted service, so the first burst of requests does not wait on it) or, with no host, on the store's first
/// call. No thread ever blocks on connecting.
/// </summary>
internal sealed class RedisConnection(IOptions<RedisStoreOptions> options, ILogger<RedisDedupStore> logger) : IHostedService, IAsyncDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _connecting = new(() => ConnectAsync(options.Value.Configuration!, logger));

    public Task<IConnectionMultiplexer> Multiplexer => _connecting.Value;

    public Task StartAsync(CancellationToken cancellationToken) => Multiplexer;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_connecting.IsValueCreated)
        {
            await (await _connecting.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(string configuration, ILogger logger)
    {
        // Returns after one bounded attempt even when the server is down (AbortOnConnectFail=false), and reconnects on its own.
        var connection = await ConnectionMultiplexer.ConnectAsync(RedisConnectionSettings.Create(configuration)).ConfigureAwait(false);
        connection.ConnectionFailed += (_, e) => Log.ConnectionFailed(logger, e.Exception, e.EndPoint?.ToString(), e.FailureType);
        connection.ConnectionRestored += (_, e) => Log.ConnectionRestored(logger, e.EndPoint?.ToString());
        return connection;
    }
}
