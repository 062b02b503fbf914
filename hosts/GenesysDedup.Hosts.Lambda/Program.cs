using System.Diagnostics;
using System.Runtime.ExceptionServices;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using GenesysDedup.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// <c>bootstrap</c>: a Lambda custom runtime (<c>provided.al2023</c>) on the generic host, speaking the Runtime API
/// itself. Exit codes: 0 after SIGTERM/SIGINT; 1 after an init error, a Runtime API failure or a failed background
/// service; 2 when <c>AWS_LAMBDA_RUNTIME_API</c> is not set.
/// </summary>
internal static class Program
{
    /// <summary>How long the store check at init may take; Lambda's whole init phase has 10 s.</summary>
    internal static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the hosted services get to stop at exit (Lambda's shutdown phase is short).</summary>
    internal static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    public static async Task<int> Main()
    {
        var started = Stopwatch.GetTimestamp();
        var runtimeApi = Environment.GetEnvironmentVariable(LambdaRuntimeClient.ApiVariable);
        if (string.IsNullOrWhiteSpace(runtimeApi))
        {
            await Console.Error.WriteLineAsync(
                $"{LambdaRuntimeClient.ApiVariable} is not set: bootstrap is a Lambda custom runtime; run it in Lambda " +
                "(provided.al2023) or against a Runtime API emulator.").ConfigureAwait(false);
            return 2;
        }

        using var runtime = new LambdaRuntimeClient(runtimeApi);
        return await RunAsync(CreateBuilder(), runtime, started).ConfigureAwait(false);
    }

    /// <summary>
    /// Environment variables (<c>Dedup__Store</c> for <c>Dedup:Store</c>) over an optional <c>appsettings.json</c> beside
    /// the executable; console logging (Lambda ships stdout to CloudWatch Logs), as JSON when the function's log format
    /// is JSON, at <c>AWS_LAMBDA_LOG_LEVEL</c>, then <c>Logging:LogLevel</c>.
    /// </summary>
    internal static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        var configuration = builder.Configuration;
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables();

        builder.Logging.SetMinimumLevel(LambdaLogLevel(configuration["AWS_LAMBDA_LOG_LEVEL"]) ?? LogLevel.Information);
        // One line per outgoing request from IHttpClientFactory at Information is noise in a function's logs.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        // A failed start is logged once, as the init error; the host would log it again with its stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        // OTLP export (when on) takes Warning and above; Logging:OpenTelemetry:LogLevel raises or lowers it.
        builder.Logging.AddFilter<OpenTelemetryLoggerProvider>(null, LogLevel.Warning);
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        if (string.Equals(configuration["AWS_LAMBDA_LOG_FORMAT"], "JSON", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(static options => options.IncludeScopes = false);
        }
        else
        {
            builder.Logging.AddSimpleConsole(static options =>
            {
                options.SingleLine = true;
                options.IncludeScopes = false;
                options.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }

        builder.Services.Configure<HostOptions>(static options => options.ShutdownTimeout = StopTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(static options => options.SuppressStatusMessages = true);
        return builder;
    }

    internal static void ComposeServices(IServiceCollection services, IConfiguration configuration)
    {
        // Before the binding, so Dedup:InProgressWait still overrides it: waiting is billed time, and the event
        // source's retry of an in_progress error comes later anyway.
        services.Configure<DedupOptions>(static options => options.InProgressWait = TimeSpan.Zero);
        services.AddGenesysDedupFromConfiguration(configuration);
        services.AddSingleton<InvocationHandler>();
        LambdaTelemetry.Compose(services, configuration);
    }

    /// <summary>
    /// Init (the host's start, then one store check) posts any failure to <c>/runtime/init/error</c>; then the runtime
    /// loop runs until the host stops. The loop is not a <see cref="BackgroundService"/> so that no <c>next</c> is asked
    /// for before the whole init succeeded: until then every failure can still be posted as an init error.
    /// </summary>
    internal static async Task<int> RunAsync(HostApplicationBuilder builder, LambdaRuntimeClient runtime, long startedAt)
    {
        IHost? host = null;
        try
        {
            // A composition error (an unknown Dedup:Store) is thrown after the build, so that it is logged like the rest.
            ExceptionDispatchInfo? composition = null;
            try
            {
                ComposeServices(builder.Services, builder.Configuration);
            }
            catch (InvalidOperationException ex)
            {
                composition = ExceptionDispatchInfo.Capture(ex);
            }

            host = builder.Build();
            composition?.Throw();

            await host.StartAsync().ConfigureAwait(false);
            await host.Services.GetRequiredService<IDedupStore>().CheckReadyAsync(CancellationToken.None).AsTask()
                .WaitAsync(ReadinessTimeout).ConfigureAwait(false);
            if (FailedBackgroundService(host) is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
        }
#pragma warning disable CA1031 // Whatever stops init is posted to Lambda, which then shows it for the function.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var logger = host?.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Log.Category) ?? NullLogger.Instance;
            await FailInitAsync(runtime, logger, ex).ConfigureAwait(false);
            host?.Dispose();
            return 1;
        }

        using (host)
        {
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Log.Category);
            Log.Initialised(logger, Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds,
                StoreKinds.Chosen(builder.Configuration), HandlerKinds.Chosen(builder.Configuration));
            var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var handler = host.Services.GetRequiredService<InvocationHandler>();
            var telemetry = host.Services.GetRequiredService<LambdaTelemetry>();
            int exitCode;
            long invocations;
            using (stopping.Register(() => Log.Stopping(logger)))
            {
                (exitCode, invocations) = await LoopAsync(runtime, handler, telemetry, logger, stopping).ConfigureAwait(false);
            }

            try
            {
                await host.StopAsync().ConfigureAwait(false);
            }
            catch (AggregateException ex)
            {
                Log.StopFailed(logger, ex);
            }

            // The host stops when a background service fails, but (before .NET 11) returns as if all went well.
            exitCode = FailedBackgroundService(host) is null ? exitCode : 1;
            Log.Stopped(logger, invocations, exitCode);
            return exitCode;
        }
    }

    private static Exception? FailedBackgroundService(IHost host) =>
        host.Services.GetServices<IHostedService>()
            .Select(service => (service as BackgroundService)?.ExecuteTask?.Exception?.InnerException)
            .FirstOrDefault(failure => failure is not null);

    private static async Task FailInitAsync(LambdaRuntimeClient runtime, ILogger logger, Exception ex)
    {
        var error = InitError(ex);
        // A known cause is named by its message; a stack trace would only bury it.
        Log.InitFailed(logger, error.Type == ErrorTypes.InitFailed ? ex : null, error.Type, error.Message);
        try
        {
            await runtime.PostInitErrorAsync(error).ConfigureAwait(false);
        }
        catch (HttpRequestException post)
        {
            Log.InitErrorNotPosted(logger, post);
        }
    }

    private static LambdaError InitError(Exception ex) => ex switch
    {
        DedupStoreUnavailableException => new(ErrorTypes.StoreUnavailable, $"the dedup store does not answer: {ex.Message}"),
        TimeoutException => new(ErrorTypes.StoreUnavailable, $"the dedup store did not answer within {ReadinessTimeout.TotalSeconds:F0} s"),
        _ when IsConfiguration(ex) => new(ErrorTypes.InvalidConfiguration, ex.Message),
        _ => new(ErrorTypes.InitFailed, $"{ex.GetType().Name}: {ex.Message}"),
    };

    // Options that fail validation, a value the binder cannot convert ("Failed to convert configuration value 'x' at
    // 'Dedup:Lease'…"), an unknown Dedup:Store or Handler:Kind, an appsettings.json that is not JSON; or several of
    // these at once, as the host's validation reports them.
    private static bool IsConfiguration(Exception ex) =>
        ex is OptionsValidationException or InvalidOperationException or InvalidDataException or FormatException
        || (ex is AggregateException all && all.InnerExceptions.All(IsConfiguration));

    private static LogLevel? LambdaLogLevel(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "INFO" => LogLevel.Information,
        "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "FATAL" => LogLevel.Critical,
        _ => null,
    };

    /// <summary>
    /// next → handle → post, one invocation at a time. <paramref name="stopping"/> cancels only the wait for the next
    /// invocation: the one in flight is finished and its result posted.
    /// </summary>
    private static async Task<(int ExitCode, long Invocations)> LoopAsync(
        LambdaRuntimeClient runtime, InvocationHandler handler, LambdaTelemetry telemetry, ILogger logger, CancellationToken stopping)
    {
        long invocations = 0;
        while (!stopping.IsCancellationRequested)
        {
            Invocation invocation;
            try
            {
                invocation = await runtime.NextAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (HttpRequestException ex)
            {
                Log.RuntimeApiFailed(logger, ex);
                return (1, invocations);
            }

            invocations++;
            // The X-Ray trace header of the invocation in flight, for SDKs that read it from the environment.
            Environment.SetEnvironmentVariable(XRayTraceHeader.EnvironmentVariable, invocation.TraceId);
            InvocationResult result;
            try
            {
                result = await handler.HandleAsync(invocation).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // One invocation's surprise is that invocation's error; the runtime keeps serving.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.InvocationCrashed(logger, ex, invocation.RequestId);
                result = InvocationResult.Fail(new LambdaError(ErrorTypes.Unhandled, $"{ex.GetType().Name}: {ex.Message}"));
            }

            await telemetry.FinishAsync(invocation.RequestId, invocation.Deadline).ConfigureAwait(false);

            try
            {
                await runtime.PostResultAsync(invocation.RequestId, result).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                // The next `next` finds out whether the Runtime API is gone for good.
                Log.PostFailed(logger, ex, invocation.RequestId);
            }
        }

        return (0, invocations);
    }
}
