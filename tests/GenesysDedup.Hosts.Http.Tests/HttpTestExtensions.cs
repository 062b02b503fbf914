using System.Net.Http.Headers;
using System.Text.Json;

namespace GenesysDedup.Hosts.Http.Tests;

internal static class HttpTestExtensions
{
    /// <summary>What EventBridge's API destination sends.</summary>
    public static readonly MediaTypeHeaderValue EventBridgeContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

    public static Task<HttpResponseMessage> PostEventAsync(this HttpClient client, byte[] body, string? contentType = "application/json; charset=utf-8")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return client.PostAsync(new Uri("/events", UriKind.Relative), content);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    public static async Task<string> OutcomeAsync(this HttpResponseMessage response) =>
        (await response.JsonAsync()).GetProperty("outcome").GetString()!;
}
