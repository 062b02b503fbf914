namespace GenesysDedup.Hosts.Lambda.Tests;

/// <summary>
/// The host composes the engine through GenesysDedup.Hosting only (STYLE: a host never touches a store SDK), and
/// depends on no Amazon.Lambda.* package (ADR 0003).
/// </summary>
public sealed class LambdaHostReferencesTests
{
    private static readonly string[] References =
        [.. typeof(InvocationHandler).Assembly.GetReferencedAssemblies().Select(a => a.Name!)];

    [Fact]
    public void Host_ReferencesNoStoreSdk_AndNoStoreAdapter()
    {
        Assert.DoesNotContain(References, name => name.StartsWith("AWSSDK", StringComparison.Ordinal));
        Assert.DoesNotContain(References, name => name.StartsWith("StackExchange", StringComparison.Ordinal));
        Assert.DoesNotContain(References, name => name.StartsWith("GenesysDedup.Stores.", StringComparison.Ordinal));
        Assert.Contains("GenesysDedup.Hosting", References);
    }

    [Fact]
    public void Host_DependsOnNoAmazonLambdaPackage()
    {
        Assert.DoesNotContain(References, name => name.StartsWith("Amazon.Lambda", StringComparison.Ordinal));
        Assert.Equal("bootstrap", typeof(InvocationHandler).Assembly.GetName().Name);
    }
}
