import java.io.File

import scala.xml.{Elem, Node, NodeSeq}
import scala.xml.transform.{RewriteRule, RuleTransformer}

/** What the published artifact says about itself. */
object Packaging {

  /** The POM without test-scoped dependencies: Maven ignores them downstream, but they are noise to users. */
  def dropTestDependencies(pom: Node): Node =
    new RuleTransformer(new RewriteRule {
      override def transform(n: Node): Seq[Node] = n match {
        case e: Elem if e.label == "dependency" && (e \ "scope").text.trim == "test" => NodeSeq.Empty
        case other                                                                   => other
      }
    }).transform(pom).head

  /** The local ivy repository publishLocal writes to (`ivyPaths.ivyHome` is a File or a String across sbt 1.x). */
  def ivyLocal(ivyHome: Option[Any]): File =
    new File(ivyHome.map(_.toString).getOrElse(sys.props("user.home") + "/.ivy2"), "local")
}
