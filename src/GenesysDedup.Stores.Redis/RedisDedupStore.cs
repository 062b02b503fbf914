using System.Globalization;
using GenesysDedup.Domain;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Redis;

/// <summary>
/// Redis store (docs/behaviour.md#stores): one string per key at <c>KeyPrefix + key</c>, laid out as <see cref="RedisRecord"/> says.
/// A claim is <c>SET key value NX PX lease</c>; when the key exists, the record read back is judged with
/// <see cref="StoredRecord.Judge(ClaimRequest)"/>, and one judged expired is taken over by compare-and-set
/// (<see cref="RedisScripts.Takeover"/>). Complete and release are one owner-checked script each. Every call touches
/// one key (so it runs unchanged on Redis Cluster) and is bounded by the client's timeouts rather than the cancellation
/// token: a write abandoned once sent would leave its outcome unknown. With <see cref="ReplicaWait.Replicas"/> above 0, an
/// acquired claim and a written completion count only once <c>WAIT</c> says that many replicas have them.
/// </summary>
internal sealed class RedisDedupStore : IDedupStore
{
    /// <summary>How many lost compare-and-set races one claim tolerates before it answers unavailable.</summary>
    internal const int MaxClaimRounds = 8;

    /// <summary>Server errors that say "not now" rather than "never": logged as warnings.</summary>
    private static readonly string[] TransientErrors = ["LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS", "OOM"];

    private readonly Task<IConnectionMultiplexer> _connection;
    private readonly string _keyPrefix;
    private readonly ILogger<RedisDedupStore> _logger;
    private readonly ReplicaWait _wait;

    /// <param name="connection">The process's one connection, being made: each call awaits it, so none blocks while it is.</param>
    /// <param name="keyPrefix">Put before every key (<see cref="RedisStoreOptions.KeyPrefix"/>).</param>
    /// <param name="logger">Where faults are logged.</param>
    /// <param name="wait">Replicas a claim and a completion must reach; none when null.</param>
    public RedisDedupStore(Task<IConnectionMultiplexer> connection, string? keyPrefix, ILogger<RedisDedupStore> logger, ReplicaWait? wait = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _connection = connection;
        _keyPrefix = keyPrefix ?? string.Empty;
        _logger = logger;
        _wait = wait ?? ReplicaWait.None;
    }

    public async ValueTask<ClaimResult> TryClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        CheckOwner(request.Owner);
        var key = KeyOf(request.Key);
        RedisValue claim = RedisRecord.FormatClaim(request.LeaseExpiresAt, request.Owner, request.TraceParent, request.Fingerprint);
        var leaseMs = TimeToLiveMs(request.Now, request.LeaseExpiresAt);
        var outcome = await CallAsync("claim", key, async database =>
        {
            var claimed = await ClaimRoundsAsync(database).ConfigureAwait(false);
            if (claimed is { Status: ClaimStatus.Acquired })
            {
                await ReplicateAsync(database, key, "claim").ConfigureAwait(false);
            }

            return claimed;
        }).ConfigureAwait(false);
        if (outcome is { } result)
        {
            return result;
        }

        Log.Contended(_logger, key, MaxClaimRounds);
        throw new DedupStoreUnavailableException($"Claim of Redis key '{key}' lost {MaxClaimRounds} races in a row.");

        async Task<ClaimResult?> ClaimRoundsAsync(IDatabase database)
        {
            for (var round = 0; round < MaxClaimRounds; round++)
            {
                if (await database.StringSetAsync(key, claim, TimeSpan.FromMilliseconds(leaseMs), When.NotExists).ConfigureAwait(false))
                {
                    return ClaimResult.Acquired;
                }

                var current = await database.StringGetAsync(key).ConfigureAwait(false);
                if (current.IsNull)
                {
                    continue; // expired or released between the two calls: claim it again
                }

                if (!RedisRecord.TryParse(current, out var record))
                {
                    Log.NotARecord(_logger, key);
                    throw new DedupStoreUnavailableException($"Redis key '{key}' holds a value that is not a dedup record.");
                }

                var found = record.Judge(request);
                if (found.Status != ClaimStatus.Acquired || record.Owner == request.Owner)
                {
                    return found;
                }

                // Judged expired from its stored timestamps while Redis still holds it: take it over, unless another
                // delivery changed it since we read it (then judge what it wrote).
                if (await EvaluateAsync(database, RedisScripts.Takeover, key, [current, claim, leaseMs]).ConfigureAwait(false) == 1)
                {
                    return ClaimResult.Acquired;
                }
            }

            return null;
        }
    }

    public async ValueTask<bool> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        CheckOwner(request.Owner);
        var key = KeyOf(request.Key);
        RedisValue[] arguments = [request.Owner, request.Fingerprint, request.Now.ToUnixTimeMilliseconds(), request.ExpiresAt.ToUnixTimeMilliseconds(), TimeToLiveMs(request.Now, request.ExpiresAt), RedisRecord.TraceField(request.TraceParent)];
        return await CallAsync("complete", key, async database =>
        {
            var written = await EvaluateAsync(database, RedisScripts.Complete, key, arguments).ConfigureAwait(false) == 1;
            if (written)
            {
                await ReplicateAsync(database, key, "completion").ConfigureAwait(false);
            }

            return written;
        }).ConfigureAwait(false);
    }

    public async ValueTask<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken)
    {
        CheckOwner(owner);
        var redisKey = KeyOf(key);
        return await CallAsync("release", redisKey, database => EvaluateAsync(database, RedisScripts.Release, redisKey, [owner])).ConfigureAwait(false) == 1;
    }

    public async ValueTask CheckReadyAsync(CancellationToken cancellationToken) =>
        await CallAsync("ping", string.Empty, database => database.PingAsync()).ConfigureAwait(false);

    /// <summary>Runs <paramref name="call"/> on the connection; a client fault becomes <see cref="DedupStoreUnavailableException"/>.</summary>
    private async Task<T> CallAsync<T>(string operation, string key, Func<IDatabase, Task<T>> call)
    {
        try
        {
            return await call((await _connection.ConfigureAwait(false)).GetDatabase()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw Unavailable(ex, operation, key);
        }
    }

    /// <remarks>Processed-at is the value's <c>ProcessedAt</c> field: null for a value written before it had one.</remarks>
    public async ValueTask<DedupRecord?> FindAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var redisKey = KeyOf(key);
        var value = await CallAsync("look-up", redisKey, database => database.StringGetAsync(redisKey)).ConfigureAwait(false);

        if (value.IsNull)
        {
            return null;
        }

        if (!RedisRecord.TryParse(value, out var record))
        {
            Log.NotARecord(_logger, redisKey);
            throw new DedupStoreUnavailableException($"Redis key '{redisKey}' holds a value that is not a dedup record.");
        }

        return DedupRecord.From(record, now);
    }

    public async ValueTask<bool> RemoveAsync(string key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var redisKey = KeyOf(key);
        var removed = await CallAsync("remove", redisKey, database => database.ScriptEvaluateAsync(RedisScripts.Remove, [redisKey])).ConfigureAwait(false);

        // A value that is not a dedup record blocked every claim of the key: removing it reopens the key too.
        return !removed.IsNull && (!RedisRecord.TryParse((string?)removed, out var record) || record.IsLive(now));
    }

    /// <summary>
    /// Sends <c>WAIT replicas timeout</c> to the primary of <paramref name="key"/>'s slot, on the connection that carried
    /// the write (WAIT counts the writes of its own connection), and throws unavailable when fewer replicas acknowledged.
    /// </summary>
    private async Task ReplicateAsync(IDatabase database, string key, string operation)
    {
        if (_wait.Replicas == 0)
        {
            return;
        }

        var primary = database.Multiplexer.GetServer(key, flags: CommandFlags.DemandMaster);
        var acknowledged = (long)await primary.ExecuteAsync("WAIT", _wait.Replicas, (long)_wait.Timeout.TotalMilliseconds).ConfigureAwait(false);
        if (acknowledged < _wait.Replicas)
        {
            Log.NotReplicated(_logger, operation, key, acknowledged, _wait.Replicas);
            throw new DedupStoreUnavailableException(string.Create(CultureInfo.InvariantCulture,
                $"Redis did not replicate the {operation} of '{key}': {acknowledged} of {_wait.Replicas} replicas acknowledged it within {_wait.Timeout.TotalMilliseconds:0} ms (Dedup:Redis:WaitReplicas)."));
        }
    }

    /// <summary>The Redis key of a scoped dedup key: <c>KeyPrefix</c> + namespace + key.</summary>
    internal string KeyOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return string.Concat(_keyPrefix, key);
    }

    // By text, not hash: the client loads it once per server and sends EVALSHA, re-loading on NOSCRIPT.
    private static async Task<long> EvaluateAsync(IDatabase database, string script, string key, RedisValue[] arguments) =>
        (long)await database.ScriptEvaluateAsync(script, [key], arguments).ConfigureAwait(false);

    /// <summary>Milliseconds from <paramref name="now"/> to <paramref name="until"/>, at least 1 (PX must be positive).</summary>
    private static long TimeToLiveMs(DateTimeOffset now, DateTimeOffset until)
    {
        var ticks = (until - now).Ticks;
        return Math.Max(1, (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
    }

    private static void CheckOwner(string owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (owner.Contains(RedisRecord.Separator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"An owner token may not contain '{RedisRecord.Separator}'.", nameof(owner));
        }
    }

    private DedupStoreUnavailableException Unavailable(Exception exception, string operation, string key)
    {
        if (exception is RedisServerException or RedisCommandException && !IsTransient(exception.Message))
        {
            Log.Rejected(_logger, exception, operation, key);
        }
        else
        {
            Log.Unavailable(_logger, exception, operation, key);
        }

        return new DedupStoreUnavailableException($"Redis could not {operation}: {exception.Message}", exception);
    }

    private static bool IsTransient(string message) =>
        TransientErrors.Any(prefix => message.StartsWith(prefix, StringComparison.Ordinal));
}

/// <summary>
/// How many replicas a claim and a completion must reach (<c>Dedup:Redis:WaitReplicas</c>) and how long the primary waits
/// for them (<c>WAIT</c>'s timeout).
/// </summary>
internal sealed record ReplicaWait(int Replicas, TimeSpan Timeout)
{
    public static readonly ReplicaWait None = new(0, TimeSpan.Zero);
}
