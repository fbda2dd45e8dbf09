using NUnit.Framework;
namespace ArenaGrad.Tests;
public class Smoke { [Test] public void Runs() => Assert.That(1, Is.EqualTo(1)); }
