using GenesysDedup.Domain;
using GenesysDedup.Testing;
using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenesysDedup.Application.Tests;

public sealed class GenesysDedupBuilderTests
{
    [Fact]
    public async Task AddHandler_OneClassOneLine_RunsOncePerUniqueEventInItsOwnScope()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ScopeLedger>();
        services.AddGenesysDedup(configuration)
            .UseMemoryStore()
            .AddHandler<RecordingHandler>();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var sender = provider.GetRequiredService<ISender>();
        var body = EventBuilder.UniqueGenesysEvent();

        var first = await sender.Send(new ProcessEvent(body));
        var again = await sender.Send(new ProcessEvent(EventBuilder.Republish(body)));
        var other = await sender.Send(new ProcessEvent(EventBuilder.UniqueGenesysEvent()));

        var ledger = provider.GetRequiredService<ScopeLedger>();
        Assert.Equal(DedupOutcome.Processed, first.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, again.Outcome);
        Assert.Equal(DedupOutcome.Processed, other.Outcome);
        Assert.Equal([first.Key!, other.Key!], ledger.Keys);
        Assert.Equal(2, ledger.HandlerInstances.Distinct().Count());
    }

    [Fact]
    public async Task AddLogHandler_IsTheLogHandlerAndTheEventIsProcessed()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGenesysDedup(new ConfigurationBuilder().Build()).UseMemoryStore().AddLogHandler();
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var result = await provider.GetRequiredService<ISender>().Send(new ProcessEvent(EventBuilder.UniqueGenesysEvent()));

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        await using var scope = provider.CreateAsyncScope();
        Assert.Contains(scope.ServiceProvider.GetServices<IDedupHandler>(), h => h.GetType().Name == "LogEventHandler");
    }

    internal sealed class ScopeLedger
    {
        public List<string> Keys { get; } = [];

        public List<object> HandlerInstances { get; } = [];
    }

    internal sealed class RecordingHandler(ScopeLedger ledger) : IDedupHandler
    {
        public ValueTask HandleAsync(DedupEvent dedupEvent, DedupKey key, CancellationToken cancellationToken)
        {
            lock (ledger)
            {
                ledger.Keys.Add(key.Value);
                ledger.HandlerInstances.Add(this);
            }

            return ValueTask.CompletedTask;
        }
    }
}
