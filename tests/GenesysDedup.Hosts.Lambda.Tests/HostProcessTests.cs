using GenesysDedup.Testing;

namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>A fresh built host against a fresh fake Runtime API for every test.</summary>
public abstract class HostProcessTests : IAsyncLifetime
{
    private LambdaHarness? _harness;

    private protected LambdaHarness Harness => _harness ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _harness = await LambdaHarness.StartAsync();

    public async Task DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }
}
