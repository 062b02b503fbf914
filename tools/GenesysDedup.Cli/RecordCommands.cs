using System.Text.Json;
using GenesysDedup.Application;
using GenesysDedup.Domain;

namespace GenesysDedup.Cli;

/// <summary>
/// <c>status KEY</c> and <c>reopen KEY</c>: the operator API's look-up and removal, straight on the store, by the key
/// the hosts and <c>key</c> report, in <c>--namespace</c> (default <c>Dedup:Namespace</c>).
/// </summary>
internal static class RecordCommands
{
    /// <summary>Prints the record as the operator API answers it; exit 1 (and a line on stderr) when no live record holds the key.</summary>
    public static async Task<int> StatusAsync(IEventRecords records, string key, string? keyNamespace, TextWriter output, TextWriter error)
    {
        var found = await records.FindAsync(key, keyNamespace).ConfigureAwait(false);
        if (found is null)
        {
            await error.WriteLineAsync($"not found: no record holds key '{key}'").ConfigureAwait(false);
            return ExitCodes.NotAll;
        }

        await output.WriteLineAsync(JsonSerializer.Serialize(found.ToView(), CliJsonContext.Output.EventRecordView)).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>Removes the record so the next delivery (or replay) of the event is processed again; exit 1 when there was none.</summary>
    public static async Task<int> ReopenAsync(IEventRecords records, string key, string? keyNamespace, TextWriter output, TextWriter error)
    {
        if (!await records.RemoveAsync(key, keyNamespace).ConfigureAwait(false))
        {
            await error.WriteLineAsync($"not found: no record holds key '{key}'").ConfigureAwait(false);
            return ExitCodes.NotAll;
        }

        await output.WriteLineAsync($"reopened {key}: its next delivery is processed again").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
