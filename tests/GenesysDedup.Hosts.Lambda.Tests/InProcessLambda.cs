using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>The Lambda host's services composed in process as the host composes them: memory store, log handler, then <c>settings</c>.</summary>
internal static class InProcessLambda
{
    public static ServiceCollection Compose(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?> { ["Dedup:Store"] = "memory", ["Handler:Kind"] = "log" };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            values[name] = value;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        Program.ComposeServices(services, new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        return services;
    }
}
