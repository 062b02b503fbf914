using GenesysDedup.Domain;
using GenesysDedup.Stores.Redis;
using GenesysDedup.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace GenesysDedup.Stores.Tests;

public sealed class RedisStoreBuilderExtensionsTests
{
    [Fact]
    public async Task UseRedisStore_WithoutConfiguration_FailsAtStartNamingTheKey()
    {
        await using var services = Build(new() { ["Dedup:Store"] = "redis" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Dedup:Redis:Configuration", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:6379,notAnOption=1")]
    [InlineData("abortConnect=false")]
    public async Task UseRedisStore_WithABadConfiguration_FailsAtStartNamingTheKey(string configuration)
    {
        await using var services = Build(new() { ["Dedup:Redis:Configuration"] = configuration });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Dedup:Redis:Configuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseRedisStore_ServerUnreachableAtStart_StartsAndAnswersUnavailable()
    {
        await using var services = Build(new() { ["Dedup:Redis:Configuration"] = $"127.0.0.1:{LoopbackPort.GetFree()}" });
        services.GetRequiredService<IStartupValidator>().Validate();

        var store = services.GetRequiredService<IDedupStore>();

        Assert.IsType<RedisDedupStore>(store);
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => store.CheckReadyAsync(CancellationToken.None).AsTask());
        var now = DateTimeOffset.UnixEpoch;
        await Assert.ThrowsAsync<DedupStoreUnavailableException>(
            () => store.TryClaimAsync(new ClaimRequest("k", "o", "f", now, now.AddMinutes(1)), CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task UseRedisStore_WithAServer_ClaimsUnderTheConfiguredPrefixThroughOneMultiplexer()
    {
        var server = await RedisServer.GetSharedAsync();
        await using var services = Build(new()
        {
            ["Dedup:Redis:Configuration"] = server.Configuration,
            ["Dedup:Redis:KeyPrefix"] = "di-test:",
        });
        services.GetRequiredService<IStartupValidator>().Validate();
        var store = services.GetRequiredService<IDedupStore>();
        var key = $"ns:{Guid.NewGuid():N}";
        var now = DateTimeOffset.UnixEpoch.AddYears(60);

        var claim = await store.TryClaimAsync(new ClaimRequest(key, "owner", "f", now, now.AddMinutes(1)), CancellationToken.None);

        Assert.Equal(ClaimStatus.Acquired, claim.Status);
        var connection = services.GetRequiredService<IConnectionMultiplexer>();
        Assert.Same(connection, services.GetRequiredService<IConnectionMultiplexer>());
        Assert.True(await connection.GetDatabase().KeyExistsAsync("di-test:" + key));
    }

    [Fact]
    public void ConnectionSettings_BoundTheTimeoutsAndNeverAbortOnConnectFail()
    {
        var options = RedisConnectionSettings.Create("localhost:6379,abortConnect=true");

        Assert.False(options.AbortOnConnectFail);
        Assert.Equal(BacklogPolicy.FailFast, options.BacklogPolicy);
        Assert.Equal(RedisConnectionSettings.DefaultConnectTimeoutMs, options.ConnectTimeout);
        Assert.Equal(RedisConnectionSettings.DefaultCommandTimeoutMs, options.SyncTimeout);
        Assert.Equal(RedisConnectionSettings.DefaultCommandTimeoutMs, options.AsyncTimeout);
        Assert.True(options.ConnectTimeout + options.AsyncTimeout < 5000, "a claim must fail before EventBridge's 5 s limit");
    }

    [Fact]
    public void ConnectionSettings_KeepTimeoutsTheConfigurationSets()
    {
        var options = RedisConnectionSettings.Create("localhost:6379,asyncTimeout=900,connectTimeout=800");

        Assert.Equal(900, options.AsyncTimeout);
        Assert.Equal(800, options.ConnectTimeout);
        Assert.Equal(RedisConnectionSettings.DefaultCommandTimeoutMs, options.SyncTimeout);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddGenesysDedup(configuration).UseRedisStore().AddLogHandler();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
