using GenesysDedup.Domain;
using GenesysDedup.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Application.Tests;

public sealed class GenesysDedupBuilderTests
{
    [Fact]
    public async Task AddHandler_OneClassOneLine_RunsOncePerUniqueEventInItsOwnScope()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ScopeLedger>();
        services.AddGenesysDedup(new ConfigurationBuilder().Build())
            .UseMemoryStore()
            .AddHandler<RecordingHandler>();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var engine = provider.GetRequiredService<IEventDeduplicator>();
        var body = EventBuilder.UniqueGenesysEvent();

        var first = await engine.ProcessAsync(body);
        var again = await engine.ProcessAsync(EventBuilder.Republish(body));
        var other = await engine.ProcessAsync(EventBuilder.UniqueGenesysEvent());

        var ledger = provider.GetRequiredService<ScopeLedger>();
        Assert.Equal(DedupOutcome.Processed, first.Outcome);
        Assert.Equal(DedupOutcome.Duplicate, again.Outcome);
        Assert.Equal(DedupOutcome.Processed, other.Outcome);
        Assert.Equal([first.Key!, other.Key!], ledger.Contexts.Select(c => c.Key.Value));
        Assert.Equal(2, ledger.HandlerInstances.Distinct().Count());
    }

    [Fact]
    public async Task AddHandler_WithTopics_RunsOnlyForEventsWhoseTopicMatches()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ScopeLedger>();
        services.AddGenesysDedup(new ConfigurationBuilder().Build())
            .UseMemoryStore()
            .AddHandler<RecordingHandler>("v2.users.*", "v2.detail.events.conversation.*.customer.end");
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var engine = provider.GetRequiredService<IEventDeduplicator>();
        var user = EventBuilder.UniqueGenesysEvent(topic: "v2.users.9f2c.presence");
        var customerEnd = EventBuilder.UniqueGenesysEvent(topic: "v2.detail.events.conversation.c-1.customer.end");
        var queue = EventBuilder.UniqueGenesysEvent(topic: "v2.routing.queues.q-1.conversations");

        var results = new[] { await engine.ProcessAsync(user), await engine.ProcessAsync(customerEnd), await engine.ProcessAsync(queue) };

        Assert.All(results, r => Assert.Equal(DedupOutcome.Processed, r.Outcome));
        Assert.Equal(["v2.users.9f2c.presence", "v2.detail.events.conversation.c-1.customer.end"],
            provider.GetRequiredService<ScopeLedger>().Contexts.Select(c => c.Event.TopicName));
    }

    [Fact]
    public async Task AddHandler_ContextCarriesTheEventTheKeyItsSourceAndTheAttempt()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ScopeLedger>();
        services.AddGenesysDedup(new ConfigurationBuilder().Build()).UseMemoryStore().AddHandler<RecordingHandler>();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var body = EventBuilder.UniqueGenesysEvent();

        var result = await provider.GetRequiredService<IEventDeduplicator>().ProcessAsync(body, new DeliveryInfo(Attempt: 3));

        var context = Assert.Single(provider.GetRequiredService<ScopeLedger>().Contexts);
        Assert.Equal(result.Key, context.Key.Value);
        Assert.Equal("fingerprint", context.Key.Source);
        Assert.Equal(result.KeySource, context.Key.Source);
        Assert.Equal(3, context.Attempt);
        Assert.Equal(body, context.Event.Utf8Json.ToArray());
    }

    [Fact]
    public async Task AddLogHandler_IsTheLogHandlerAndTheEventIsProcessed()
    {
        var services = new ServiceCollection();
        services.AddGenesysDedup(new ConfigurationBuilder().Build()).UseMemoryStore().AddLogHandler();
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var result = await provider.GetRequiredService<IEventDeduplicator>().ProcessAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        await using var scope = provider.CreateAsyncScope();
        Assert.Contains(scope.ServiceProvider.GetServices<IDedupHandler>(), h => h.GetType().Name == "LogEventHandler");
    }

    [Fact]
    public async Task AddGenesysDedup_OptionsInCode_WorksInAPlainServiceCollection()
    {
        var services = new ServiceCollection();
        services.AddGenesysDedup(o => o.Namespace = "crm").UseMemoryStore().AddLogHandler();
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var result = await provider.GetRequiredService<IEventDeduplicator>().ProcessAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(DedupOutcome.Processed, result.Outcome);
        Assert.Equal("crm", provider.GetRequiredService<IOptions<DedupOptions>>().Value.Namespace);
    }

    [Fact]
    public async Task AddGenesysDedup_GivenASubSection_BindsItsDedupSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MyApp:Dedup:Namespace"] = "billing",
            ["MyApp:Dedup:Retention"] = "02:00:00",
            ["Dedup:Namespace"] = "not-this-one",
        }).Build();
        var services = new ServiceCollection();
        services.AddGenesysDedup(configuration.GetSection("MyApp")).UseMemoryStore().AddLogHandler();
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var options = provider.GetRequiredService<IOptions<DedupOptions>>().Value;

        Assert.Equal("billing", options.Namespace);
        Assert.Equal(TimeSpan.FromHours(2), options.Retention);
    }

    [Theory]
    [InlineData(false, true, "UseMemoryStore()")]
    [InlineData(true, false, "AddHandler<THandler>()")]
    public async Task AddGenesysDedup_WithoutAStoreOrAHandler_FailsAtFirstResolveNamingTheFix(bool store, bool handler, string fix)
    {
        var services = new ServiceCollection();
        var builder = services.AddGenesysDedup(o => { });
        if (store)
        {
            builder.UseMemoryStore();
        }

        if (handler)
        {
            builder.AddLogHandler();
        }

        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IEventDeduplicator>());
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }

    internal sealed class ScopeLedger
    {
        public List<DedupContext> Contexts { get; } = [];

        public List<object> HandlerInstances { get; } = [];
    }

    internal sealed class RecordingHandler(ScopeLedger ledger) : IDedupHandler
    {
        public ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
        {
            lock (ledger)
            {
                ledger.Contexts.Add(context);
                ledger.HandlerInstances.Add(this);
            }

            return ValueTask.CompletedTask;
        }
    }
}
