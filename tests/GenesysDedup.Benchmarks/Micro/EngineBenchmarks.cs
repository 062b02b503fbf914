using BenchmarkDotNet.Attributes;
using GenesysDedup.Hosting;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenesysDedup.Benchmarks.Micro;

/// <summary>
/// The engine as the hosts call it — <c>ISender.Send(new ProcessEvent(body))</c>, composed from configuration by
/// <c>AddGenesysDedupFromConfiguration</c> with the memory store and the log handler (no log provider, so the handler's
/// line costs its level check) — for a new event and for a re-publish of a processed one. The baseline is the memory
/// store's own claim + complete of a new key: the engine's work around it is the rest.
/// </summary>
[Config(typeof(BenchConfig))]
[InvocationCount(Batch)]
public class EngineBenchmarks
{
    private const int Batch = 2048;

    private ServiceProvider? _services;
    private ISender? _sender;
    private readonly MemoryDedupStore _bareStore = new();
    private byte[][] _fresh = [];
    private byte[] _republish = [];
    private int _next;
    private int _iteration;

    [GlobalSetup]
    public void Setup()
    {
        _services = Engine.Build(new Dictionary<string, string?> { ["Dedup:Store"] = "memory" });
        _sender = _services.GetRequiredService<ISender>();
        var original = Payloads.Get(Payloads.Small);
        var first = _sender.Send(new ProcessEvent(original)).AsTask().GetAwaiter().GetResult();
        if (first.Outcome != DedupOutcome.Processed)
        {
            throw new InvalidOperationException($"setup event was {first.Outcome}");
        }

        _republish = GenesysDedup.Testing.EventBuilder.Republish(original);
    }

    [IterationSetup]
    public void FreshEvents()
    {
        _fresh = Payloads.Unique(Payloads.Get(Payloads.Small), Batch, $"engine-{_iteration++}");
        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup() => _services?.Dispose();

    /// <summary>Floor: the memory store's claim + complete of a new key, nothing else.</summary>
    [Benchmark(Baseline = true)]
    public async Task<bool> BareMemoryStoreClaimComplete()
    {
        var key = $"bare:{_iteration}:{_next++}";
        var now = DateTimeOffset.UnixEpoch.AddYears(60);
        await _bareStore.TryClaimAsync(new ClaimRequest(key, "owner", "sha256:x", now, now.AddMinutes(1)), CancellationToken.None);
        return await _bareStore.CompleteAsync(new CompleteRequest(key, "owner", "sha256:x", now, now.AddDays(1)), CancellationToken.None);
    }

    [Benchmark]
    public async Task<DedupOutcome> NewEvent() => (await _sender!.Send(new ProcessEvent(_fresh[_next++]))).Outcome;

    [Benchmark]
    public async Task<DedupOutcome> DuplicateEvent() => (await _sender!.Send(new ProcessEvent(_republish))).Outcome;
}

/// <summary>Composes the engine exactly as the hosts do (configuration → store and handler), without a log provider.</summary>
public static class Engine
{
    public static ServiceProvider Build(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddGenesysDedupFromConfiguration(configuration);
        return services.BuildServiceProvider();
    }
}
