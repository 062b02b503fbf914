using GenesysDedup.Domain;
using GenesysDedup.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// The process's services, built once during Lambda's init phase with a plain <see cref="ServiceCollection"/> (no
/// generic host: it would cost cold-start time for nothing a runtime loop needs) and the same composition as the HTTP
/// host, <c>AddGenesysDedupFromConfiguration</c>. Initialisation fails, naming the cause, on bad configuration, on a
/// store that cannot be set up, or on a store that does not answer.
/// </summary>
internal sealed class LambdaApp : IAsyncDisposable
{
    /// <summary>How long the readiness check at init may take; Lambda's whole init phase has 10 s.</summary>
    internal static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the hosted services get to stop at exit (Lambda's shutdown phase is short).</summary>
    internal static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _started;
    private readonly ILogger _logger;

    private LambdaApp(ServiceProvider services, List<IHostedService> started, ILogger logger)
    {
        _services = services;
        _started = started;
        _logger = logger;
        Handler = services.GetRequiredService<InvocationHandler>();
    }

    public InvocationHandler Handler { get; }

    public IServiceProvider Services => _services;

    /// <summary>Environment variables (<c>Dedup__Store</c> for <c>Dedup:Store</c>) over an optional <c>appsettings.json</c> beside the executable.</summary>
    public static IConfiguration BuildConfiguration(string? baseDirectory = null)
    {
        var builder = new ConfigurationBuilder();
        var settings = Path.Combine(baseDirectory ?? AppContext.BaseDirectory, "appsettings.json");
        if (File.Exists(settings))
        {
            builder.AddJsonFile(settings, optional: true, reloadOnChange: false);
        }

        return builder.AddEnvironmentVariables().Build();
    }

    /// <summary>
    /// Console logging (Lambda ships stdout to CloudWatch Logs): one line per entry, or JSON when the function's log
    /// format is JSON (<c>AWS_LAMBDA_LOG_FORMAT</c>); the level from <c>AWS_LAMBDA_LOG_LEVEL</c>, then <c>Logging:LogLevel</c>.
    /// </summary>
    public static ILoggerFactory CreateLoggerFactory(IConfiguration configuration) => LoggerFactory.Create(logging =>
    {
        logging.SetMinimumLevel(LambdaLogLevel(configuration["AWS_LAMBDA_LOG_LEVEL"]) ?? LogLevel.Information);
        // One line per outgoing request from IHttpClientFactory at Information is noise in a function's logs.
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        logging.AddConfiguration(configuration.GetSection("Logging"));
        if (string.Equals(configuration["AWS_LAMBDA_LOG_FORMAT"], "JSON", StringComparison.OrdinalIgnoreCase))
        {
            logging.AddJsonConsole(static options => options.IncludeScopes = false);
        }
        else
        {
            logging.AddSimpleConsole(static options =>
            {
                options.SingleLine = true;
                options.IncludeScopes = false;
                options.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
    });

    /// <summary>The host's services: the engine from configuration, the logger factory, the invocation handler.</summary>
    public static ServiceCollection ComposeServices(IConfiguration configuration, ILoggerFactory loggerFactory)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddSingleton(loggerFactory);
        services.AddLogging();
        services.AddGenesysDedupFromConfiguration(configuration);
        services.AddSingleton<InvocationHandler>();
        return services;
    }

    /// <summary>
    /// Validates every option (<see cref="IStartupValidator"/>), starts the hosted services the composition registered
    /// (the Redis store's connection warm-up, the DynamoDB table creation, the memory store's sweeper), then checks once
    /// that the store answers. Throws <see cref="LambdaInitException"/> naming the cause.
    /// </summary>
    public static async Task<LambdaApp> InitializeAsync(IServiceCollection services, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        var provider = services.BuildServiceProvider();
        var started = new List<IHostedService>();
        var app = new LambdaApp(provider, started, logger);
        try
        {
            Validate(provider);
            await StartHostedServicesAsync(provider, started).ConfigureAwait(false);
            await CheckStoreAsync(provider.GetRequiredService<IDedupStore>()).ConfigureAwait(false);
            return app;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Builds the services from configuration, turning a composition error (an unknown <c>Dedup:Store</c>) into an init error.</summary>
    public static ServiceCollection Compose(IConfiguration configuration, ILoggerFactory loggerFactory)
    {
        try
        {
            return ComposeServices(configuration, loggerFactory);
        }
        catch (InvalidOperationException ex)
        {
            throw new LambdaInitException(ErrorTypes.InvalidConfiguration, ex.Message, ex);
        }
    }

    /// <summary>Stops the hosted services (newest first) and disposes every service, flushing nothing but its own.</summary>
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(StopTimeout);
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync(stop.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Shutting down: one service that cannot stop must not keep the others running.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.StopFailed(_logger, ex, _started[i].GetType().Name);
            }
        }

        _started.Clear();
        await _services.DisposeAsync().ConfigureAwait(false);
    }

    private static void Validate(IServiceProvider provider)
    {
        try
        {
            provider.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException ex)
        {
            throw new LambdaInitException(ErrorTypes.InvalidConfiguration, ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            // A value the binder cannot convert, e.g. "Failed to convert configuration value 'x' at 'Dedup:Lease' to type 'System.TimeSpan'."
            throw new LambdaInitException(ErrorTypes.InvalidConfiguration, ex.Message, ex);
        }
    }

    private static async Task StartHostedServicesAsync(IServiceProvider provider, List<IHostedService> started)
    {
        foreach (var service in provider.GetServices<IHostedService>())
        {
            try
            {
                await service.StartAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (DedupStoreUnavailableException ex)
            {
                throw new LambdaInitException(ErrorTypes.StoreUnavailable, ex.Message, ex);
            }
            catch (OptionsValidationException ex)
            {
                throw new LambdaInitException(ErrorTypes.InvalidConfiguration, ex.Message, ex);
            }

            started.Add(service);
        }
    }

    private static async Task CheckStoreAsync(IDedupStore store)
    {
        using var timeout = new CancellationTokenSource(ReadinessTimeout);
        try
        {
            await store.CheckReadyAsync(timeout.Token).AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (DedupStoreUnavailableException ex)
        {
            throw new LambdaInitException(ErrorTypes.StoreUnavailable, $"the dedup store does not answer: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
            throw new LambdaInitException(ErrorTypes.StoreUnavailable, $"the dedup store did not answer within {ReadinessTimeout.TotalSeconds:F0} s", ex);
        }
    }

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

    /// <summary>For the start-up line: what configuration chose.</summary>
    internal static (string Store, string Handler) Choices(IConfiguration configuration) =>
        (Choice(configuration[StoreKinds.ConfigKey], StoreKinds.Memory), Choice(configuration[HandlerKinds.ConfigKey], HandlerKinds.Log));

    private static string Choice(string? value, string fallback) =>
        string.IsNullOrWhiteSpace(value) ? fallback : value.Trim().ToLowerInvariant();
}

/// <summary>Initialisation failed: posted to <c>/runtime/init/error</c> with <see cref="ErrorType"/>.</summary>
internal sealed class LambdaInitException : Exception
{
    public LambdaInitException()
    {
        ErrorType = ErrorTypes.InitFailed;
    }

    public LambdaInitException(string message)
        : base(message)
    {
        ErrorType = ErrorTypes.InitFailed;
    }

    public LambdaInitException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorType = ErrorTypes.InitFailed;
    }

    public LambdaInitException(string errorType, string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorType = errorType;
    }

    public string ErrorType { get; }
}
