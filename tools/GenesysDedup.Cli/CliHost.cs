using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Cli;

/// <summary>The exit codes: every event processed or duplicate (or the record found/removed); some not; usage or configuration.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int NotAll = 1;
    public const int Usage = 2;
}

/// <summary>A usage or configuration error: the message is printed and the tool exits with <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The engine as the hosts compose it (<c>AddGenesysDedupFromConfiguration</c>), from the same configuration:
/// appsettings.json in the working directory, then environment variables (<c>Dedup__Store</c>), then the command
/// line's <c>--store</c> and <c>--set Key=Value</c>. Logs go to stderr at Warning unless <c>Logging:LogLevel</c> says
/// otherwise, so stdout carries only the command's answer.
/// </summary>
internal static class CliHost
{
    /// <summary>The command line's settings, over every other source.</summary>
    public static Dictionary<string, string?> Overrides(string? store, IEnumerable<string> sets, string? @namespace = null)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (store is not null)
        {
            overrides["Dedup:Store"] = store;
        }

        foreach (var set in sets)
        {
            var equals = set.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new UsageException($"--set expects Key=Value (e.g. --set Dedup:Namespace=crm), not '{set}'");
            }

            overrides[set[..equals].Trim().Replace("__", ":", StringComparison.Ordinal)] = set[(equals + 1)..];
        }

        if (@namespace is not null)
        {
            overrides["Dedup:Namespace"] = @namespace;
        }

        return overrides;
    }

    /// <summary>Composes the engine; nothing connects until it is started or used.</summary>
    public static IHost Build(Dictionary<string, string?> overrides)
    {
        var directory = Directory.GetCurrentDirectory();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory });
        builder.Configuration
            .AddJsonFile(Path.Combine(directory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides);

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(static options =>
        {
            options.SingleLine = true;
            options.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(static options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        // The command, not the host, owns Ctrl-C: replay finishes the events in flight before it stops.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();

        try
        {
            // The HTTP host's default store: on the host's machine, in its working directory, the tool opens its file.
            builder.Services.AddGenesysDedupFromConfiguration(builder.Configuration, defaultStore: StoreKinds.Sqlite);
            return builder.Build();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            throw new UsageException($"configuration: {ex.Message}", ex);
        }
    }

    /// <summary>The engine's options, validated as at start-up.</summary>
    public static DedupOptions Options(IHost host)
    {
        try
        {
            return host.Services.GetRequiredService<IOptions<DedupOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            throw new UsageException($"configuration: {ex.Message}", ex);
        }
    }

    /// <summary>Composes the engine and starts what the store needs (its connection, a table to create); nothing listens.</summary>
    public static async Task<IHost> StartAsync(Dictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        var host = Build(overrides);
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or ArgumentException)
        {
            host.Dispose();
            throw new UsageException($"configuration: {ex.Message}", ex);
        }
        catch (DedupStoreUnavailableException)
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>A host lifetime that leaves the console's signals to the command.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
