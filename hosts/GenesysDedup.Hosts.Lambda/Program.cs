using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// <c>bootstrap</c>: a Lambda custom runtime (<c>provided.al2023</c>) that speaks the Runtime API itself. Init: build
/// the services once, validate, start, check the store — or post <c>/runtime/init/error</c> and exit 1. Then, until
/// SIGTERM: take the next invocation, answer it, repeat. Exit codes: 0 after SIGTERM/SIGINT, 1 after an init error or
/// a Runtime API failure, 2 when <c>AWS_LAMBDA_RUNTIME_API</c> is not set.
/// </summary>
internal static class Program
{
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
        using var stopping = new CancellationTokenSource();
        ILogger? logger = null;
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // not the default "exit now": the loop finishes the invocation in flight first
            if (logger is not null)
            {
                Log.Stopping(logger, context.Signal.ToString());
            }

            stopping.Cancel();
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        Microsoft.Extensions.Configuration.IConfiguration configuration;
        try
        {
            configuration = LambdaApp.BuildConfiguration();
        }
#pragma warning disable CA1031 // Any failure to read the settings is an init error, posted as such.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"Reading the configuration failed: {ex.Message}").ConfigureAwait(false);
            await PostInitErrorAsync(runtime, new LambdaError(ErrorTypes.InvalidConfiguration, $"reading the configuration failed: {ex.Message}"), null).ConfigureAwait(false);
            return 1;
        }

        using var loggerFactory = LambdaApp.CreateLoggerFactory(configuration);
        logger = loggerFactory.CreateLogger("GenesysDedup.Hosts.Lambda");

        LambdaApp app;
        try
        {
            app = await LambdaApp.InitializeAsync(LambdaApp.Compose(configuration, loggerFactory), logger).ConfigureAwait(false);
        }
        catch (LambdaInitException ex)
        {
            // The message names the cause (a key, the store); a stack trace would only bury it.
            Log.InitFailed(logger, ex.ErrorType, ex.Message);
            await PostInitErrorAsync(runtime, new LambdaError(ex.ErrorType, ex.Message), logger).ConfigureAwait(false);
            return 1;
        }
#pragma warning disable CA1031 // Whatever stops init is reported to Lambda, which then shows it for the function.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var error = new LambdaError(ErrorTypes.InitFailed, $"{ex.GetType().Name}: {ex.Message}");
            Log.InitCrashed(logger, ex, error.Type, error.Message);
            await PostInitErrorAsync(runtime, error, logger).ConfigureAwait(false);
            return 1;
        }

        await using (app.ConfigureAwait(false))
        {
            var (store, handler) = LambdaApp.Choices(configuration);
            Log.Initialised(logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds, store, handler);
            var loop = new RuntimeLoop(runtime, app.Handler, logger);
            var exitCode = await loop.RunAsync(stopping.Token).ConfigureAwait(false);
            Log.Stopped(logger, loop.Invocations);
            return exitCode;
        }
    }

    private static async Task PostInitErrorAsync(LambdaRuntimeClient runtime, LambdaError error, ILogger? logger)
    {
        try
        {
            var status = await runtime.PostInitErrorAsync(error).ConfigureAwait(false);
            if (status is < 200 or >= 300 && logger is not null)
            {
                Log.InitErrorRejected(logger, status);
            }
        }
        catch (HttpRequestException ex)
        {
            if (logger is not null)
            {
                Log.InitErrorNotPosted(logger, ex);
            }
            else
            {
                await Console.Error.WriteLineAsync($"Could not post the init error: {ex.Message}").ConfigureAwait(false);
            }
        }
    }
}

/// <summary>next → handle → response or error, one invocation at a time, until stopped.</summary>
internal sealed class RuntimeLoop(LambdaRuntimeClient runtime, InvocationHandler handler, ILogger logger)
{
    /// <summary>The X-Ray trace header of the invocation in flight, for SDKs that read it from the environment.</summary>
    public const string TraceVariable = "_X_AMZN_TRACE_ID";

    public long Invocations { get; private set; }

    /// <summary>Returns the process exit code: 0 when stopped, 1 when the Runtime API failed.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Invocation invocation;
            try
            {
                invocation = await runtime.NextAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or LambdaRuntimeException)
            {
                Log.RuntimeApiFailed(logger, ex);
                return 1;
            }

            Invocations++;
            Environment.SetEnvironmentVariable(TraceVariable, invocation.TraceId);
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

            await PostAsync(invocation.RequestId, result).ConfigureAwait(false);
        }

        return 0;
    }

    private async Task PostAsync(string requestId, InvocationResult result)
    {
        var operation = result.Error is null ? "response" : "error";
        try
        {
            var status = result.Error is { } error
                ? await runtime.PostErrorAsync(requestId, error).ConfigureAwait(false)
                : await runtime.PostResponseAsync(requestId, result.Response!).ConfigureAwait(false);
            if (status is < 200 or >= 300)
            {
                Log.PostRejected(logger, status, operation, requestId);
            }
        }
        catch (HttpRequestException ex)
        {
            // The next `next` finds out whether the Runtime API is gone for good.
            Log.PostFailed(logger, ex, operation, requestId);
        }
    }
}
