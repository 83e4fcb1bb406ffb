"""K5: a refunded period invoice, like a cancelled one, no longer holds its service
period (``one_invoice_per_service_period`` excludes both), so the period can be billed
again; the suspension waiver's fields get their names for admin."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invoices', '0012_beat_schedule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='invoice',
            name='one_invoice_per_service_period',
        ),
        migrations.AlterField(
            model_name='suspensionwaiver',
            name='invoice',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='suspension_waivers', to='invoices.invoice', verbose_name='invoice'),
        ),
        migrations.AlterField(
            model_name='suspensionwaiver',
            name='service',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='suspension_waivers', to='orders.service', verbose_name='service'),
        ),
        migrations.AlterField(
            model_name='suspensionwaiver',
            name='waived_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='waived by'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(condition=models.Q(('service__isnull', False), models.Q(('status__in', ['cancelled', 'refunded']), _negated=True)), fields=('service', 'period_start'), name='one_invoice_per_service_period'),
        ),
    ]
