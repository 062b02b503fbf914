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
        // abortConnect=true would make the first connect throw: the store overrides it.
        await using var services = Build(new() { ["Dedup:Redis:Configuration"] = $"127.0.0.1:{LoopbackPort.GetFree()},abortConnect=true" });
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
    public async Task UseRedisStore_GivenASubSection_BindsTheStoreUnderIt()
    {
        var server = await RedisServer.GetSharedAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MyApp:Dedup:Redis:Configuration"] = server.Configuration,
            ["MyApp:Dedup:Redis:KeyPrefix"] = "sub-section:",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddGenesysDedup(configuration.GetSection("MyApp")).AddLogHandler().UseRedisStore();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        provider.GetRequiredService<IStartupValidator>().Validate();

        var key = await ClaimNewKeyAsync(provider);

        Assert.True(await provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase().KeyExistsAsync("sub-section:" + key));
    }

    [Fact]
    public async Task UseRedisStore_PlainServiceCollectionWithAnAction_ConnectsOnFirstUseAndTheActionWinsOverConfiguration()
    {
        var server = await RedisServer.GetSharedAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dedup:Redis:KeyPrefix"] = "bound:" }).Build();
        var services = new ServiceCollection().AddLogging(); // no IConfiguration registered, no host to start
        services.AddGenesysDedup(configuration).AddLogHandler().UseRedisStore(options =>
        {
            options.Configuration = server.Configuration;
            options.KeyPrefix = "from-action:";
        });
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        provider.GetRequiredService<IStartupValidator>().Validate();

        var key = await ClaimNewKeyAsync(provider);

        var database = provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        Assert.True(await database.KeyExistsAsync("from-action:" + key));
        Assert.False(await database.KeyExistsAsync("bound:" + key));
    }

    [Fact]
    public async Task UseRedisStore_PlainServiceCollectionWithNoConfigurationAnywhere_FailsAtStartNamingTheKeyAndTheFix()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddGenesysDedup(new ConfigurationBuilder().Build()).AddLogHandler().UseRedisStore();
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Dedup:Redis:Configuration", error.Message, StringComparison.Ordinal);
        Assert.Contains("UseRedisStore(o => o.Configuration", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("17")]
    public async Task UseRedisStore_WaitReplicasOutOfRange_FailsAtStartNamingTheKey(string replicas)
    {
        await using var services = Build(new() { ["Dedup:Redis:Configuration"] = "localhost:6379", ["Dedup:Redis:WaitReplicas"] = replicas });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Dedup:Redis:WaitReplicas", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseRedisStore_WaitReplicasOnAServerWithoutReplicas_ClaimIsUnavailableWithinTheStoreTimeout()
    {
        var server = await RedisServer.GetSharedAsync();
        await using var services = Build(new()
        {
            ["Dedup:Redis:Configuration"] = server.Configuration,
            ["Dedup:Redis:WaitReplicas"] = "1",
            ["Dedup:StoreTimeout"] = "00:00:00.200",
        });
        services.GetRequiredService<IStartupValidator>().Validate();

        var error = await Assert.ThrowsAsync<DedupStoreUnavailableException>(() => ClaimNewKeyAsync(services));

        Assert.Contains("0 of 1 replicas acknowledged it within 200 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionSettings_KeepTimeoutsTheConfigurationSets()
    {
        var options = RedisConnectionSettings.Create("localhost:6379,asyncTimeout=900,connectTimeout=800");

        Assert.Equal(900, options.AsyncTimeout);
        Assert.Equal(800, options.ConnectTimeout);
        Assert.Equal(RedisConnectionSettings.DefaultCommandTimeoutMs, options.SyncTimeout);
    }

    private static async Task<string> ClaimNewKeyAsync(IServiceProvider provider)
    {
        var key = $"ns:{Guid.NewGuid():N}";
        var now = DateTimeOffset.UnixEpoch.AddYears(60);
        var claim = await provider.GetRequiredService<IDedupStore>().TryClaimAsync(new ClaimRequest(key, "owner", "f", now, now.AddMinutes(1)), CancellationToken.None);
        Assert.Equal(ClaimStatus.Acquired, claim.Status);
        return key;
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddGenesysDedup(configuration).AddLogHandler().UseRedisStore();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
