using System.Net.Http.Headers;
using GenesysDedup.Benchmarks.Workload;
using GenesysDedup.Testing;
using GenesysDedup.Testing.Otlp;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GenesysDedup.Benchmarks;

/// <summary>
/// <c>trace-picture --out docs/images/trace.svg</c>: runs the HTTP host exporting over OTLP to an
/// <see cref="OtlpReceiver"/>, sends an event and its re-publish, and draws the spans the receiver got, one block per
/// trace, with the duplicate's link to the processing span (<see cref="TraceSvg"/>). What is drawn is what was exported.
/// </summary>
internal static class TracePicture
{
    public static async Task<int> RunAsync(ToolArguments args)
    {
        var output = args.Require("out");
        await using var receiver = await OtlpReceiver.StartAsync().ConfigureAwait(false);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Endpoint.AbsoluteUri.TrimEnd('/'));
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        Environment.SetEnvironmentVariable("OTEL_BSP_SCHEDULE_DELAY", "100");
        Environment.SetEnvironmentVariable("OTEL_SERVICE_NAME", "genesys-dedup");
        Environment.SetEnvironmentVariable("Dedup__Store", "memory");

        await using (var host = new WebApplicationFactory<Program>())
        {
            using var client = host.CreateClient();
            var body = EventBuilder.UniqueGenesysEvent();
            foreach (var send in new[] { body, EventBuilder.Republish(body) })
            {
                using var content = new ByteArrayContent(send);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                (await client.PostAsync(new Uri("/events", UriKind.Relative), content).ConfigureAwait(false)).EnsureSuccessStatusCode();
            }

            await receiver.WaitUntilAsync(r => r.Spans.Count(s => s.Name == "dedup.process") >= 2 && r.Spans.Count(s => s.ParentSpanId.Length == 0) >= 2, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output, TraceSvg.Draw(receiver.Spans)).ConfigureAwait(false);
        Console.WriteLine($"{output}: {receiver.Spans.Count} spans in {receiver.Spans.Select(s => s.TraceId).Distinct().Count()} traces");
        return 0;
    }
}
