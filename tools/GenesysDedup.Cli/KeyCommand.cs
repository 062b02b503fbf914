using System.Text.Json;
using GenesysDedup.Application;
using GenesysDedup.Domain;

namespace GenesysDedup.Cli;

/// <summary>
/// <c>key FILE|-</c>: each event's key and the key source that gave it, resolved exactly as the engine resolves it
/// (<c>Dedup:KeySources</c>, <c>Dedup:MaxEventBytes</c>). Two events with one key are one event to the store: this
/// is the answer to "why was this a duplicate?". Nothing touches the store.
/// </summary>
internal static class KeyCommand
{
    public static int Run(DedupOptions options, string file, bool json, TextWriter output, Func<Stream> stdin)
    {
        var keys = KeyResolver.FromNames(options.KeySources);
        var limits = new EventLimits(options.MaxEventBytes);
        var exitCode = ExitCodes.Ok;
        foreach (var item in EventInputs.Read([file], stdin))
        {
            var line = Resolve(item, keys, limits);
            if (line.Error is not null)
            {
                exitCode = ExitCodes.NotAll;
            }

            output.WriteLine(json
                ? JsonSerializer.Serialize(line, CliJsonContext.Output.KeyLine)
                : line.Error is null ? $"{item.Location}\t{line.Key}\t{line.Source}" : $"{item.Location}\tinvalid\t{line.Error}");
        }

        return exitCode;
    }

    private static KeyLine Resolve(InputItem item, KeyResolver keys, EventLimits limits)
    {
        var (file, lineNumber) = item.Location;
        if (item.Error is not null)
        {
            return new KeyLine(file, lineNumber) { Error = item.Error };
        }

        var parsed = EventParser.Parse(item.Event, limits);
        if (parsed.Event is not { } dedupEvent)
        {
            return new KeyLine(file, lineNumber) { Error = parsed.Error };
        }

        using (dedupEvent)
        {
            var resolution = keys.Resolve(dedupEvent);
            return resolution.Key is { } key
                ? new KeyLine(file, lineNumber) { Key = key.Value, Source = key.Source, EventId = dedupEvent.Id }
                : new KeyLine(file, lineNumber) { EventId = dedupEvent.Id, Error = resolution.Error };
        }
    }
}

/// <summary>One line of <c>key --json</c>.</summary>
internal sealed record KeyLine(string File, int Line)
{
    public string? Key { get; init; }

    public string? Source { get; init; }

    public string? EventId { get; init; }

    public string? Error { get; init; }
}
