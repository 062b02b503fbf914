using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GenesysDedup.AspNetCore;
using GenesysDedup.Domain;
using GenesysDedup.Stores.Memory;
using GenesysDedup.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace GenesysDedup.AspNetCore.Tests;

/// <summary>
/// The package embedded the way a user's app would: its own minimal WebApplication on real Kestrel, the memory store
/// (behind a switch that takes it down), a handler of its own, and only the package's public calls.
/// </summary>
public sealed class EmbeddedEventsEndpointTests : IAsyncLifetime
{
    private const string ApiKey = "embedded-secret";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly OrderBook _orders = new();
    private WebApplication? _app;
    private Uri _address = null!;
    private FaultyStore _store = null!;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Http:ApiKey"] = ApiKey, ["Http:MaxBodyBytes"] = "4096" })
            .Build();
        (_app, _address) = await LoopbackWebApp.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(_clock);
                builder.Services.AddSingleton(_orders);
                builder.Services.AddGenesysDedup(configuration).UseMemoryStore().AddHandler<OrderHandler>();
                builder.Services.Replace(ServiceDescriptor.Singleton<IDedupStore>(sp => new FaultyStore(sp.GetRequiredService<MemoryDedupStore>())));
                builder.Services.AddGenesysDedupEvents(configuration);
                builder.Services.AddHealthChecks().AddGenesysDedupStoreHealthCheck();
            },
            app =>
            {
                app.MapGenesysDedupEvents("/genesys/events");
                app.MapHealthChecks("/healthz");
                app.MapGet("/private", () => "ok").RequireGenesysDedupAuth();
            });
        _store = (FaultyStore)_app.Services.GetRequiredService<IDedupStore>();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Post_NewEventThenItsRepublish_Is200ProcessedThen200Duplicate_AndTheHandlerRunsOnce()
    {
        var original = EventBuilder.UniqueGenesysEvent();

        var first = await PostAsync(original);
        var again = await PostAsync(EventBuilder.Republish(original));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("processed", await OutcomeAsync(first));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("duplicate", await OutcomeAsync(again));
        Assert.Equal(1, _orders.Runs);
    }

    [Fact]
    public async Task Post_WithoutCredentials_Is401Problem_AndNothingRuns()
    {
        using var anonymous = Client(authenticated: false);

        var response = await anonymous.PostAsync(new Uri("genesys/events", UriKind.Relative), new ByteArrayContent(EventBuilder.UniqueGenesysEvent()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, _orders.Runs);
    }

    [Fact]
    public async Task Get_OtherEndpointRequiringTheAuth_Is401WithoutCredentials_And200WithThem()
    {
        using var anonymous = Client(authenticated: false);
        using var client = Client();

        var refused = await anonymous.GetAsync(new Uri("private", UriKind.Relative));
        var admitted = await client.GetAsync(new Uri("private", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    [Fact]
    public async Task Post_BodyOverMaxBodyBytes_Is413NamingTheKey()
    {
        var response = await PostAsync(new byte[4097]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Http:MaxBodyBytes", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, _orders.Runs);
    }

    [Fact]
    public async Task Health_FollowsTheStore()
    {
        using var client = Client();

        var up = await client.GetAsync(new Uri("healthz", UriKind.Relative));
        _store.Down = true;
        _clock.Advance(DedupStoreHealthCheck.MaxAge);
        var down = await client.GetAsync(new Uri("healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("Unhealthy", await down.Content.ReadAsStringAsync());
    }

    private HttpClient Client(bool authenticated = true)
    {
        var client = new HttpClient { BaseAddress = _address };
        if (authenticated)
        {
            client.DefaultRequestHeaders.Add("x-api-key", ApiKey);
        }

        return client;
    }

    private async Task<HttpResponseMessage> PostAsync(byte[] body)
    {
        using var client = Client();
        return await client.PostAsync(new Uri("genesys/events", UriKind.Relative), new ByteArrayContent(body));
    }

    private static async Task<string?> OutcomeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString();

    /// <summary>What the app's handler did, observed from outside.</summary>
    private sealed class OrderBook
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public void Record() => Interlocked.Increment(ref _runs);
    }

    /// <summary>The app's own handler, registered with <c>AddHandler&lt;T&gt;()</c> as a user would.</summary>
    private sealed class OrderHandler(OrderBook orders) : IDedupHandler
    {
        public ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
        {
            orders.Record();
            return ValueTask.CompletedTask;
        }
    }
}
