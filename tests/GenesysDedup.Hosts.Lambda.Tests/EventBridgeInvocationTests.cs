using System.Net;
using System.Text;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>docs/behaviour.md#direct-invocation: EventBridge direct invocation: the built host as a process against the fake Runtime API.</summary>
public sealed class EventBridgeInvocationTests : HostProcessTests
{
    [Fact]
    public async Task Invoke_NewEvent_RespondsProcessedAndTheHandlerRanOnce()
    {
        var reply = await Harness.InvokeAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(RuntimeReplyKind.Response, reply.Kind);
        Assert.Equal(["outcome", "key"], reply.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("processed", reply.Member("outcome"));
        var key = reply.Member("key");
        Assert.StartsWith("sha256:", key, StringComparison.Ordinal);
        var delivery = Assert.Single(Harness.Downstream.DeliveriesOf(key!));
        Assert.Equal("POST", delivery.Method);
    }

    [Fact]
    public async Task Invoke_Republished_RespondsDuplicateAndTheHandlerDoesNotRunAgain()
    {
        var body = EventBuilder.UniqueGenesysEvent();

        var first = await Harness.InvokeAsync(body);
        var again = await Harness.InvokeAsync(EventBuilder.Republish(body));

        Assert.Equal("processed", first.Member("outcome"));
        Assert.Equal(RuntimeReplyKind.Response, again.Kind);
        Assert.Equal("duplicate", again.Member("outcome"));
        Assert.Equal(first.Member("key"), again.Member("key"));
        Assert.Single(Harness.Downstream.DeliveriesOf(first.Member("key")!));
    }

    [Fact]
    public async Task Invoke_HandlerFails_PostsAnInvocationErrorWithTheTypeHeader_AndTheRetryIsProcessed()
    {
        var eventId = $"evt-{Guid.NewGuid():N}";
        var body = EventBuilder.Tutorial(eventId);
        Harness.Downstream.AnswerNext(eventId, HttpStatusCode.InternalServerError);

        var failed = await Harness.InvokeAsync(body);
        var retried = await Harness.InvokeAsync(body);
        var duplicate = await Harness.InvokeAsync(body);

        Assert.Equal(RuntimeReplyKind.Error, failed.Kind);
        Assert.Equal("GenesysDedup.Failed", failed.ErrorType);
        Assert.Equal("GenesysDedup.Failed", failed.Member("errorType"));
        Assert.Contains("failed", failed.Member("errorMessage"), StringComparison.Ordinal);
        Assert.Contains(eventId, failed.Member("errorMessage"), StringComparison.Ordinal);
        Assert.Equal("processed", retried.Member("outcome"));
        Assert.Equal("duplicate", duplicate.Member("outcome"));
        Assert.Equal(2, Harness.Downstream.DeliveriesOf(eventId).Count);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"detail\":")]
    public async Task Invoke_InvalidEvent_IsAnInvalidError_AndTheHostKeepsServing(string payload)
    {
        var invalid = await Harness.InvokeAsync(Encoding.UTF8.GetBytes(payload));
        var next = await Harness.InvokeAsync(EventBuilder.UniqueGenesysEvent());

        Assert.Equal(RuntimeReplyKind.Error, invalid.Kind);
        Assert.Equal("GenesysDedup.Invalid", invalid.ErrorType);
        Assert.StartsWith("invalid: ", invalid.Member("errorMessage"), StringComparison.Ordinal);
        Assert.Equal("processed", next.Member("outcome"));
        Assert.False(Harness.Host.HasExited);
    }

    [Fact]
    public async Task Invoke_SameKeyDifferentEvent_IsAConflictError()
    {
        var eventId = $"evt-{Guid.NewGuid():N}";

        var first = await Harness.InvokeAsync(EventBuilder.Tutorial(eventId, "gold"));
        var conflict = await Harness.InvokeAsync(EventBuilder.Tutorial(eventId, "silver"));

        Assert.Equal("processed", first.Member("outcome"));
        Assert.Equal("GenesysDedup.Conflict", conflict.ErrorType);
        Assert.Single(Harness.Downstream.DeliveriesOf(eventId));
    }

    [Fact]
    public async Task Invoke_AnyJsonObject_IsOneEvent_EvenWithARecordsMemberThatIsNotSqs()
    {
        var body = Encoding.UTF8.GetBytes("""{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"KEY"}}}]}""".Replace("KEY", Guid.NewGuid().ToString(), StringComparison.Ordinal));

        var reply = await Harness.InvokeAsync(body);

        Assert.Equal("processed", reply.Member("outcome"));
        Assert.Single(Harness.Downstream.DeliveriesOf(reply.Member("key")!));
    }
}
