using System.CommandLine;
using System.Runtime.InteropServices;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GenesysDedup.Cli;

/// <summary>
/// <c>genesys-dedup</c>: <c>key</c>, <c>status</c>, <c>reopen</c> and <c>replay</c> over the engine and store the
/// hosts use, configured the same way. Exit codes: 0 every event processed or duplicate (the record found or
/// removed); 1 some were not (or no such record); 2 usage or configuration error.
/// </summary>
internal static class Program
{
    private static readonly Option<string?> Store = new("--store")
    {
        Description = $"The store (Dedup:Store): {string.Join(", ", StoreKinds.All)}.",
        Recursive = true,
    };

    private static readonly Option<string[]> Set = new("--set")
    {
        Description = "A configuration value over appsettings.json and the environment, as Key=Value (e.g. Dedup:Redis:Configuration=localhost:6379); repeatable.",
        Recursive = true,
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "Write JSON for machines instead of text.",
        Recursive = true,
    };

    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("genesys-dedup: look up, reopen and replay Genesys Cloud events through GenesysDedup's engine and store.")
        {
            Options = { Store, Set, Json },
            Subcommands = { KeyCommandLine(), StatusCommandLine(), ReopenCommandLine(), ReplayCommandLine() },
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("Run 'genesys-dedup --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        // Ctrl-C is the replay's to handle (it finishes the events in flight); nothing here kills the process.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    private static Command KeyCommandLine()
    {
        var file = new Argument<string>("FILE") { Description = "Events in any shape replay reads; - for stdin." };
        var command = new Command("key", "Print each event's dedup key and the key source that gave it (why two events are one).") { file };
        command.SetAction(parse => Guarded(() =>
        {
            using var host = CliHost.Build(Overrides(parse));
            return Task.FromResult(KeyCommand.Run(CliHost.Options(host), parse.GetValue(file)!, parse.GetValue(Json), Console.Out, Console.OpenStandardInput));
        }));
        return command;
    }

    private static Command StatusCommandLine()
    {
        var key = new Argument<string>("KEY") { Description = "The key, as the hosts and 'genesys-dedup key' report it." };
        var keyNamespace = NamespaceOption();
        var command = new Command("status", "Show the record that holds a key: status, fingerprint, lease, processed and expiry times (exit 1 when none).") { key, keyNamespace };
        command.SetAction(parse => OnRecords(parse, records =>
            RecordCommands.StatusAsync(records, parse.GetValue(key)!, parse.GetValue(keyNamespace), Console.Out, Console.Error)));
        return command;
    }

    private static Command ReopenCommandLine()
    {
        var key = new Argument<string>("KEY") { Description = "The key, as the hosts and 'genesys-dedup key' report it." };
        var keyNamespace = NamespaceOption();
        var command = new Command("reopen", "Remove the record that holds a key, so the event's next delivery is processed again (exit 1 when none).") { key, keyNamespace };
        command.SetAction(parse => OnRecords(parse, records =>
            RecordCommands.ReopenAsync(records, parse.GetValue(key)!, parse.GetValue(keyNamespace), Console.Out, Console.Error)));
        return command;
    }

    private static Option<string?> NamespaceOption() => new("--namespace") { Description = "The namespace the key lives in; default Dedup:Namespace." };

    private static Task<int> OnRecords(ParseResult parse, Func<IEventRecords, Task<int>> command) => Guarded(async () =>
    {
        using var host = await CliHost.StartAsync(Overrides(parse), CancellationToken.None).ConfigureAwait(false);
        try
        {
            return await command(host.Services.GetRequiredService<IEventRecords>()).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    });

    private static Command ReplayCommandLine()
    {
        var files = new Argument<string[]>("FILE") { Description = "JSON lines, JSON arrays, SQS receive-message dumps, Lambda on-failure records, or a mix; - for stdin.", Arity = ArgumentArity.OneOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only report what each event would be (new, duplicate, in_progress, conflict, invalid); change nothing." };
        var rate = new Option<double?>("--rate") { Description = "At most N events per second." };
        rate.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is <= 0)
            {
                result.AddError("--rate must be more than 0");
            }
        });
        var concurrency = new Option<int>("--concurrency") { Description = "Events in flight at once (1 keeps the input order).", DefaultValueFactory = _ => 1 };
        concurrency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 1024)
            {
                result.AddError("--concurrency must be 1 to 1024");
            }
        });

        var command = new Command("replay", "Push events through the engine and the configured handler: what was processed before answers duplicate and does not run again.")
        {
            files, dryRun, rate, concurrency,
        };
        command.SetAction(parse => Guarded(async () =>
        {
            var settings = new ReplaySettings(parse.GetValue(dryRun), parse.GetValue(rate), parse.GetValue(concurrency));
            var overrides = Overrides(parse);
            var items = EventInputs.Read(parse.GetValue(files)!, Console.OpenStandardInput);
            using var host = await CliHost.StartAsync(overrides, CancellationToken.None).ConfigureAwait(false);
            var time = host.Services.GetRequiredService<TimeProvider>();
            var deliver = settings.DryRun
                ? new DryRunPreview(host.Services.GetRequiredService<IDedupStore>(), CliHost.Options(host), time).PreviewAsync
                : ReplayRunner.Through(host.Services.GetRequiredService<IEventDeduplicator>());

            using var stop = new CancellationTokenSource();
            using var sigint = OnSignal(PosixSignal.SIGINT, stop);
            using var sigterm = OnSignal(PosixSignal.SIGTERM, stop);
            var report = await ReplayDisplay.TrackAsync(items.Count, time,
                progress => new ReplayRunner(deliver, time).RunAsync(items, settings, progress, stop.Token)).ConfigureAwait(false);
            if (report.Interrupted)
            {
                await Console.Error.WriteLineAsync(
                    $"interrupted: {report.Outcomes[Outcomes.NotAttempted]} events not attempted; run the same command again to finish (what ran answers duplicate)").ConfigureAwait(false);
            }

            ReplayDisplay.Write(report, parse.GetValue(Json), Console.Out);
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return report.ExitCode;
        }));
        return command;
    }

    /// <summary>The first SIGINT/SIGTERM stops starting events and lets those in flight finish; a second one ends the process.</summary>
    private static PosixSignalRegistration OnSignal(PosixSignal signal, CancellationTokenSource stop) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            if (!stop.IsCancellationRequested)
            {
                context.Cancel = true;
                Console.Error.WriteLine($"{signal}: finishing the events in flight, then stopping (again to stop at once)");
                stop.Cancel();
            }
        });

    private static Dictionary<string, string?> Overrides(ParseResult parse) =>
        CliHost.Overrides(parse.GetValue(Store), parse.GetValue(Set) ?? []);

    /// <summary>Usage and configuration errors exit 2 with their message; an unreachable store exits 1.</summary>
    private static async Task<int> Guarded(Func<Task<int>> command)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (DedupStoreUnavailableException ex)
        {
            await Console.Error.WriteLineAsync($"store unavailable: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.NotAll;
        }
    }
}
