using System.Diagnostics.CodeAnalysis;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddGenesysDedup</c>: plug in one store (<c>UseMemoryStore()</c>, …) and at least one handler.</summary>
public sealed class GenesysDedupBuilder
{
    internal GenesysDedupBuilder(IServiceCollection services, IConfiguration? configuration)
    {
        Services = services;
        Configuration = configuration;
    }

    /// <summary>The services being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The configuration <c>AddGenesysDedup</c> was given (it holds the <c>Dedup</c> section); null when
    /// options were given in code. Stores bind their own sections from it.</summary>
    public IConfiguration? Configuration { get; }

    /// <summary>
    /// Adds a handler, resolved in a fresh DI scope per event. It gets every event, or with <paramref name="topics"/>
    /// only the events whose <c>detail.topicName</c> matches one of the patterns (<c>*</c> matches any run of
    /// characters, e.g. <c>v2.users.*</c>). Handlers run one after another in registration order; when one throws, the
    /// claim is released and the sender's retry runs every handler again, including those that had succeeded, so each
    /// handler must tolerate running again for an event it already handled.
    /// </summary>
    public GenesysDedupBuilder AddHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(params string[] topics)
        where THandler : class, IDedupHandler
    {
        ArgumentNullException.ThrowIfNull(topics);
        Services.AddScoped<IDedupHandler, THandler>();
        if (topics.Length > 0)
        {
            Services.AddSingleton(new HandlerTopics(typeof(THandler), topics));
        }

        return this;
    }

    /// <summary>Adds the <c>log</c> handler: one structured line per processed event.</summary>
    public GenesysDedupBuilder AddLogHandler() => AddHandler<LogEventHandler>();
}
