using System.Reflection;
using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// The built Lambda host (<c>bootstrap.dll</c>, JIT) running as a real process against a <see cref="FakeLambdaRuntime"/>,
/// with the <c>http</c> handler forwarding to a <see cref="CountingDownstream"/> (to see what ran, and to make a
/// handler fail by answering 500). The store defaults to <c>memory</c>; <c>settings</c> override any variable.
/// </summary>
internal sealed class LambdaHarness : IAsyncDisposable
{
    private LambdaHarness(FakeLambdaRuntime runtime, CountingDownstream downstream, LambdaBootstrapProcess host)
    {
        Runtime = runtime;
        Downstream = downstream;
        Host = host;
    }

    public FakeLambdaRuntime Runtime { get; }

    public CountingDownstream Downstream { get; }

    public LambdaBootstrapProcess Host { get; }

    /// <summary>Set it to a native <c>bootstrap</c> (the Native AOT publish) to run every process test against that instead.</summary>
    public const string BootstrapVariable = "GENESYSDEDUP_LAMBDA_BOOTSTRAP";

    /// <summary>
    /// The host's own build output (set by the test project from the configuration being built), or the executable
    /// named by <see cref="BootstrapVariable"/>.
    /// </summary>
    public static string Bootstrap
    {
        get
        {
            if (Environment.GetEnvironmentVariable(BootstrapVariable) is { Length: > 0 } native)
            {
                return File.Exists(native) ? Path.GetFullPath(native) : throw new FileNotFoundException($"{BootstrapVariable} names {native}, which does not exist.", native);
            }

            var directory = typeof(LambdaHarness).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "LambdaHostDirectory").Value!;
            var path = Path.Combine(directory, "bootstrap.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"The Lambda host is not built at {path}: build hosts/GenesysDedup.Hosts.Lambda in the same configuration as the tests.", path);
        }
    }

    public static async Task<LambdaHarness> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var runtime = await FakeLambdaRuntime.StartAsync();
        var downstream = await CountingDownstream.StartAsync();
        var environment = new Dictionary<string, string?>
        {
            ["Dedup__Store"] = "memory",
            ["Handler__Kind"] = "http",
            ["Handler__Http__Url"] = downstream.Url.AbsoluteUri,
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return new LambdaHarness(runtime, downstream, LambdaBootstrapProcess.Start(Bootstrap, runtime, environment));
    }

    /// <summary>Queues one invocation and awaits what the host posts for it; a timeout reports the host's output.</summary>
    public async Task<RuntimeReply> InvokeAsync(byte[] payload, TimeSpan? timeout = null)
    {
        var requestId = Runtime.Enqueue(payload, timeout);
        return await ReplyAsync(requestId);
    }

    public async Task<RuntimeReply> ReplyAsync(string requestId)
    {
        try
        {
            return await Runtime.ReplyAsync(requestId);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}. Host output:\n{Host.Output}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Runtime.DisposeAsync();
        await Downstream.DisposeAsync();
    }
}
