using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.Stores.Tests;

/// <summary>The real engine (<c>AddGenesysDedup</c>) on a real store, for what only a whole delivery shows.</summary>
internal sealed class EngineOnStore(ServiceProvider services) : IAsyncDisposable
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <param name="useStore">Plugs the store in (e.g. <c>UseRedisStore()</c>).</param>
    /// <param name="settings">Configuration over the defaults: a one-minute lease, no in-progress wait, no clock skew.</param>
    public static EngineOnStore Create(Action<GenesysDedupBuilder> useStore, TimeProvider time, IDedupHandler handler, Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Dedup:Lease"] = Lease.ToString(),
                // Fake clocks move only when told: an in-progress answer at once, and leases lapse on time.
                ["Dedup:InProgressWait"] = "00:00:00",
                ["Dedup:ClockSkew"] = "00:00:00",
            })
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton(time);
        useStore(services.AddGenesysDedup(configuration));
        services.AddSingleton(handler);
        return new EngineOnStore(services.BuildServiceProvider(validateScopes: true));
    }

    public async Task<DedupResult> SendAsync(byte[] body) =>
        await services.GetRequiredService<IEventDeduplicator>().ProcessAsync(body);

    /// <summary>
    /// Sends <paramref name="body"/> while <paramref name="proxy"/> holds everything, lets <paramref name="storeTimeout"/>
    /// pass on the engine's clock once the claim is stuck in the proxy, and resumes the proxy after the answer.
    /// </summary>
    public async Task<DedupResult> SendWhileStalledAsync(byte[] body, StallingTcpProxy proxy, FakeTimeProvider clock, TimeSpan storeTimeout)
    {
        proxy.Stall();
        var stalled = SendAsync(body);
        await proxy.FirstHeld; // the claim was sent and is stuck
        clock.Advance(storeTimeout);
        var result = await stalled;
        await proxy.ResumeAsync(); // what was held, the abandoned claim included, now reaches the server
        return result;
    }

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
