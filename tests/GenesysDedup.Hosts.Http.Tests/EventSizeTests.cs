using System.Net;
using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Http.Tests;

/// <summary>
/// Events up to <c>Dedup:MaxEventBytes</c> (1 MB entries plus EventBridge's envelope) through the built host on real
/// Kestrel, whose own limits a TestServer would not apply; and the start-up checks of the two size keys.
/// </summary>
public sealed class EventSizeTests
{
    [Fact]
    public async Task Post_OneMegabyteTranscription_OnKestrel_Is200Processed()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var body = EventBuilder.Transcription(1024 * 1024, new Random(11));

        var response = await client.PostEventAsync(body);

        Assert.True(body.Length > 1024 * 1024);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("processed", await response.OutcomeAsync());
        Assert.Equal("duplicate", await (await client.PostEventAsync(body)).OutcomeAsync());
    }

    [Fact]
    public async Task Post_OverMaxEventBytes_OnKestrel_Is413NamingTheKey()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var body = EventBuilder.Transcription(1_572_865, new Random(12));

        var response = await client.PostEventAsync(body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Dedup:MaxEventBytes (1572864 bytes)", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("Dedup__MaxEventBytes", "100", "Dedup:MaxEventBytes must be between 1024 and 16777216")]
    [InlineData("Dedup__MaxEventBytes", "many", "Dedup:MaxEventBytes")]
    [InlineData("Http__MaxBodyBytes", "2000000", "Http:MaxBodyBytes (2000000) must not exceed Dedup:MaxEventBytes (1572864)")]
    public async Task Start_BadSizeLimit_FailsNamingTheKey(string variable, string value, string message)
    {
        var (exitCode, output) = await HostProcess.RunExpectingExitAsync(new Dictionary<string, string> { [variable] = value });

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, output);
    }

    [Fact]
    public async Task Start_BodyLimitRaisedWithEventLimit_ServesTheLargerEvent()
    {
        await using var factory = new DedupHostFactory(new Dictionary<string, string?>
        {
            ["Dedup:MaxEventBytes"] = "2000000",
            ["Http:MaxBodyBytes"] = "2000000",
        });
        var body = Encoding.UTF8.GetBytes("{\"detail\":{\"pad\":\"" + new string('p', 1_800_000) + "\"}}");

        var response = await factory.CreateClient().PostEventAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
