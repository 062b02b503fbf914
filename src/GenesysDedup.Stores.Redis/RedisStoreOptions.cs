using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Redis;

/// <summary>The <c>Dedup:Redis</c> section (docs/behaviour.md#stores, docs/behaviour.md#configuration).</summary>
public sealed class RedisStoreOptions
{
    /// <summary>The configuration section these options bind from: <c>Dedup:Redis</c>.</summary>
    public const string SectionName = "Dedup:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>localhost:6379</c> or <c>host:6380,ssl=true,password=…</c>.</summary>
    [Required(ErrorMessage = "Dedup:Redis:Configuration is required when the redis store is used: set it to a StackExchange.Redis configuration string, e.g. localhost:6379, or set it in UseRedisStore(o => o.Configuration = \"localhost:6379\").")]
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key; the engine's namespace-scoped key follows it.</summary>
    [StringLength(256, ErrorMessage = "Dedup:Redis:KeyPrefix may hold up to 256 characters.")]
    public string KeyPrefix { get; set; } = "genesys-dedup:";

    /// <summary>
    /// Replicas a claim and a completion must reach before they count: after each the store sends <c>WAIT</c> to the
    /// key's primary, and fewer acknowledgements within <c>Dedup:StoreTimeout</c> (at most the client's command timeout)
    /// answer store_unavailable. 0, the default, sends no <c>WAIT</c>: a failover may then lose the last writes.
    /// </summary>
    public int WaitReplicas { get; set; }
}

[OptionsValidator]
internal sealed partial class RedisStoreOptionsValidator : IValidateOptions<RedisStoreOptions>;

/// <summary>
/// Checks what attributes cannot express: that the configuration string parses and names a server. And the replica
/// count, here because the generated validator words a range in its own terms rather than the key's.
/// </summary>
internal sealed class RedisStoreOptionsChecks : IValidateOptions<RedisStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisStoreOptions options)
    {
        if (options.WaitReplicas is < 0 or > 16)
        {
            return ValidateOptionsResult.Fail("Dedup:Redis:WaitReplicas must be between 0 and 16 (replicas a claim and a completion must reach).");
        }

        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            return ValidateOptionsResult.Success; // reported by the [Required] check
        }

        try
        {
            var parsed = RedisConnectionSettings.Create(options.Configuration);
            return parsed.EndPoints.Count == 0
                ? ValidateOptionsResult.Fail("Dedup:Redis:Configuration names no server (expected host:port, e.g. localhost:6379).")
                : ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"Dedup:Redis:Configuration is not a valid StackExchange.Redis configuration string: {ex.Message}");
        }
    }
}

/// <summary>
/// Turns the configuration string into client options bounded for EventBridge's 5-second limit: a command that cannot
/// be answered fails in about a second and a half instead of queueing, and the client keeps reconnecting in the
/// background so the process recovers on its own when the server comes back.
/// </summary>
internal static class RedisConnectionSettings
{
    /// <summary>Connect, sync and async timeouts unless the configuration string sets its own.</summary>
    internal const int DefaultConnectTimeoutMs = 2000;
    internal const int DefaultCommandTimeoutMs = 1500;

    public static ConfigurationOptions Create(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);

        // Never crash on an unreachable server: the store answers store_unavailable until the client connects.
        options.AbortOnConnectFail = false;

        // Fail at once while disconnected rather than queue: a queued claim could land after we reported
        // store_unavailable and block the sender's retry until its lease lapses.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy = new ExponentialRetry(500, 5000);

        var parts = configuration.Split(',', StringSplitOptions.TrimEntries);
        bool Sets(string keyword) => parts.Any(part =>
            part.StartsWith(keyword, StringComparison.OrdinalIgnoreCase) && part.AsSpan(keyword.Length).TrimStart().StartsWith("="));
        options.ConnectTimeout = Sets("connectTimeout") ? options.ConnectTimeout : DefaultConnectTimeoutMs;
        options.SyncTimeout = Sets("syncTimeout") ? options.SyncTimeout : DefaultCommandTimeoutMs;
        options.AsyncTimeout = Sets("asyncTimeout") ? options.AsyncTimeout : DefaultCommandTimeoutMs;
        return options;
    }
}
