package dev.tierstack.web.system;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a page controller whose pages carry a form that is posted: its pages get the CSRF
 * token, and so its cookie, before rendering starts ({@link PageDefaults}). Pages without
 * such a form set no cookie, and the load balancers may keep them.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface PostsForms {

}
